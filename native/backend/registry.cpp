#include "registry.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "plugin.hpp"

namespace indee {
namespace {

// The directory of the module (the .node, or a test program) holding this code: the plugin is
// built and shipped beside it.
std::string own_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&own_directory), &info) == 0 || info.dli_fname == nullptr) return ".";
  const std::string path = info.dli_fname;
  const std::size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Where the plugin may be: INDEEPENDENCE_CUDA_PLUGIN when set; else beside this module, then in its
// Release/ folder (cmake-js puts the .node and the plugin there, the test programs one level up).
std::vector<std::string> plugin_candidates() {
  if (const char* path = std::getenv("INDEEPENDENCE_CUDA_PLUGIN"); path != nullptr && *path != '\0') return {path};
  const std::string dir = own_directory();
  return {dir + "/" + kCudaPluginFile, dir + "/Release/" + kCudaPluginFile};
}

// The plugin is loaded once per process and never unloaded (backends created from it may live
// until exit). Either its entry point or the reason it cannot be used.
struct Plugin {
  CreateBackend create = nullptr;
  std::string failure;
};

const Plugin& plugin() {
  static Plugin loaded;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string tried;
    for (const std::string& path : plugin_candidates()) {
      // RTLD_NODELETE: the plugin's static CUDA runtime registers exit handlers that must stay mapped.
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
      if (handle == nullptr) {
        tried += "\n  " + std::string(dlerror());
        continue;
      }
      loaded.create = reinterpret_cast<CreateBackend>(dlsym(handle, kCudaPluginEntry));
      if (loaded.create == nullptr) loaded.failure = path + " has no entry point " + kCudaPluginEntry;
      return;
    }
    loaded.failure = std::string("the CUDA plugin (") + kCudaPluginFile +
                     ") was not found or could not be loaded; this build may have been made without nvcc. Tried:" + tried;
  });
  return loaded;
}

std::unique_ptr<Backend> create_cuda_backend(std::string& failure) {
  const Plugin& p = plugin();
  if (p.create == nullptr) {
    failure = p.failure;
    return nullptr;
  }
  char reason[512] = {0};
  std::unique_ptr<Backend> backend(p.create(kBackendInterfaceVersion, reason, sizeof reason));
  if (backend == nullptr) failure = reason[0] != '\0' ? reason : "the CUDA plugin gave no reason";
  return backend;
}

}  // namespace

std::shared_ptr<Backend> make_backend(Device device) {
  if (device == Device::Cpu) return std::shared_ptr<Backend>(&cpu_backend(), [](Backend*) {});
  std::string failure;
  std::unique_ptr<Backend> backend = create_cuda_backend(failure);
  require(backend != nullptr, ErrorCode::Unavailable, "device 'cuda' is not available: " + failure);
  return std::shared_ptr<Backend>(std::move(backend));
}

std::string cuda_unavailable_reason() {
  static const std::string reason = [] {  // each probe would create a CUDA context and a cuBLAS handle
    std::string failure;
    return create_cuda_backend(failure) == nullptr ? failure : std::string();
  }();
  return reason;
}

}  // namespace indee

#include "cublas.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <vector>

#include "../../core/error.hpp"

namespace indee::cuda {
namespace {

struct Loaded {
  Cublas api{};
  std::string error;  // empty once api is usable
};

// Resolves `name` into `slot`; false (with the reason in `why`) when the library lacks it.
template <typename Function>
bool resolve(void* library, const char* name, Function& slot, std::string& why) {
  slot = reinterpret_cast<Function>(dlsym(library, name));
  if (slot == nullptr) why = std::string("lacks ") + name;
  return slot != nullptr;
}

// The files tried, in order: the cuBLAS of this plugin's CUDA major version (13), then 12 (its C
// API is the same), then an unversioned development link, each through the dynamic loader's
// search (LD_LIBRARY_PATH, ldconfig); then the same names in a toolkit's lib64 named by CUDA_HOME
// or CUDA_PATH.
std::vector<std::string> candidates() {
  const char* names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
  std::vector<std::string> files(std::begin(names), std::end(names));
  for (const char* variable : {"CUDA_HOME", "CUDA_PATH"})
    if (const char* root = std::getenv(variable); root != nullptr && *root != '\0')
      for (const char* name : names) files.push_back(std::string(root) + "/lib64/" + name);
  return files;
}

Loaded load() {
  Loaded loaded;
  for (const std::string& file : candidates()) {
    void* library = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* reason = dlerror();
      loaded.error += (loaded.error.empty() ? "" : "; ") + std::string(reason != nullptr ? reason : file);
      continue;
    }
    Cublas& api = loaded.api;
    std::string why;
    if (resolve(library, "cublasCreate_v2", api.create, why) && resolve(library, "cublasDestroy_v2", api.destroy, why) &&
        resolve(library, "cublasSetStream_v2", api.set_stream, why) &&
        resolve(library, "cublasSetMathMode", api.set_math_mode, why) &&
        resolve(library, "cublasSgemm_v2", api.sgemm, why) && resolve(library, "cublasSsymm_v2", api.ssymm, why) &&
        resolve(library, "cublasSsyrk_v2", api.ssyrk, why) && resolve(library, "cublasSsyr_v2", api.ssyr, why)) {
      api.status_string = reinterpret_cast<const char* (*)(cublasStatus_t)>(dlsym(library, "cublasGetStatusString"));
      api.library = file;
      loaded.error.clear();
      return loaded;
    }
    loaded.error += (loaded.error.empty() ? "" : "; ") + file + ": " + why;
    dlclose(library);
  }
  loaded.api = Cublas{};
  loaded.error = "cuBLAS not found: " + loaded.error;
  return loaded;
}

}  // namespace

const Cublas& cublas() {
  static const Loaded loaded = load();  // once per process (thread-safe initialisation)
  require(loaded.error.empty(), ErrorCode::Unavailable, loaded.error);
  return loaded.api;
}

void check(const Cublas& api, cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  const char* text = api.status_string != nullptr ? api.status_string(status) : nullptr;
  throw Error(ErrorCode::Device,
              std::string(call) + ": " + (text != nullptr ? text : "cuBLAS status " + std::to_string(status)));
}

}  // namespace indee::cuda

// libemucuda.so: a fake CUDA runtime, on the CPU, for running the CUDA plugin where no GPU is
// (scripts/reliability/cuda-emulated.sh). It implements the calls declared in include/cuda_runtime.h
// and is shared by the emulated plugin and the fake cuBLAS (emulated_cublas.cpp). Its job is to make
// every mistake a GPU would forgive or hide fail loudly, at the call that makes it:
//
// - Device memory lives in one reserved arena that is PROT_NONE between fake calls. Whether a host
//   dereference of a device pointer crashes on a GPU machine depends on the platform (some make
//   device memory host-accessible); here it always faults, and the SIGSEGV handler names it.
// - During a fake call (a kernel launch, a cuBLAS call, a copy, a memset) only the allocations the
//   call was handed (kernel pointer arguments, cuBLAS matrices, copy/memset ranges) are opened: a
//   kernel that reaches into memory it was not given faults too.
// - Every pointer is checked for provenance: a host pointer where device memory is required (or the
//   reverse), a range running past its allocation, a freed pointer, a double free.
// - Each allocation ends at a page boundary (up to 256-byte alignment) followed by a guard page, and
//   the slack around it is filled with 0xFF (NaN if read) and checked after every call, so overruns
//   that stay within the page are caught when written. Addresses are never reused: freed pages are
//   dropped but stay reserved and PROT_NONE, so a use after free faults or fails the provenance check.
// - An allocation belongs to the stream that first used it (the backend's own stream); another
//   stream using it is fatal: on a GPU the two streams would be unordered.
// - Fresh allocations are filled with 0xFF bytes (NaN), so a read of memory never written shows up
//   as NaN in the results.
// - Threads of a block run as fibers where the kernel's file uses __syncthreads, so a barrier is a
//   real barrier (every thread reaches it before any passes), and a barrier that some threads skip
//   (divergent __syncthreads, undefined on a GPU) is fatal. INDEE_EMU_ORDER=reverse runs blocks,
//   threads and fibers last to first: a result that changes with the order exposes a race.
//
// What it cannot check: calls run synchronously, in one order, on one CPU thread at a time, so
// asynchrony (a host buffer reused before its copy ran, work on two streams racing), real parallel
// interleavings within a kernel, GPU timing, TF32/FMA numerics and the driver's behaviour are not
// emulated. A host dereference on one thread while another thread's call has that allocation open
// goes unnoticed. Reads of uninitialised memory or of an allocation's slack are caught only through
// the NaN they bring into a compared result. x86-64 Linux only (the fiber switch is assembly).
//
// INDEE_EMU_STATS=1 prints, at exit, one summary line; INDEE_EMU_STATS=2 adds the count per
// operation (kernel name, cuBLAS function, copy direction).
#include <execinfo.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "cuda_runtime.h"

extern "C" {
uint3 threadIdx, blockIdx, blockDim, gridDim;
}

namespace {

constexpr std::size_t kPage = 4096;
constexpr std::size_t kAlignment = 256;  // cudaMalloc's guarantee
constexpr unsigned char kFill = 0xFF;    // fresh memory and slack: NaN as float and as double

struct Allocation {
  char* region = nullptr;        // its first page
  std::size_t pages = 0;         // data pages (a guard page follows)
  char* user = nullptr;          // what cudaMalloc returned
  std::size_t bytes = 0;         // what was asked for
  bool open = false;             // PROT_READ|PROT_WRITE during the current call
  cudaStream_t stream = nullptr; // the stream of the first call that used it
};

char* arena = nullptr;
std::size_t arena_size = 0;
std::size_t arena_next = 0;  // bump allocation: addresses are never reused
// The containers are never destroyed: backends may still free memory from static destructors that
// run after this library's own would have, and report() runs at exit.
auto& live = *new std::map<std::uintptr_t, Allocation>;  // by user pointer
auto& opened = *new std::vector<Allocation*>;             // by the current call
auto& streams = *new std::set<cudaStream_t>;
auto& lock = *new std::recursive_mutex;
int depth = 0;  // nesting of fake calls (a cuBLAS call checks its pointers as one call)
const char* current_op = nullptr;
cudaStream_t current_stream = nullptr;
bool reverse_order = false;
int stats_level = 0;
std::size_t live_bytes = 0, peak_bytes = 0, calls = 0;
auto& calls_per_op = *new std::map<std::string, std::size_t>;
struct sigaction previous_segv {};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "\n*** EMULATED CUDA: %s\n", message.c_str());
  void* frames[64];
  backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
  std::fflush(stderr);
  std::abort();
}

bool in_arena(const void* p) {
  const char* c = static_cast<const char*>(p);
  return arena != nullptr && c >= arena && c < arena + arena_size;
}

// Async-signal-safe: write(2) and backtrace only (backtrace's library is loaded in init()).
void segv_handler(int signal, siginfo_t* info, void* context) {
  if (in_arena(info->si_addr)) {
    char text[512];
    std::snprintf(text, sizeof text, "\n*** EMULATED CUDA: segmentation fault at %p in device memory: %s%s\n",
                  info->si_addr,
                  current_op == nullptr ? "HOST CODE dereferenced device memory outside any CUDA call"
                                        : "a CUDA call touched device memory outside the allocations it was handed: ",
                  current_op == nullptr ? "" : current_op);
    ssize_t ignored = write(2, text, std::strlen(text));
    (void)ignored;
    void* frames[64];
    backtrace_symbols_fd(frames, backtrace(frames, 64), 2);
    _exit(134);
  }
  // Not ours: hand it on (Node installs its own handler), else die of it.
  if ((previous_segv.sa_flags & SA_SIGINFO) != 0 && previous_segv.sa_sigaction != nullptr)
    return previous_segv.sa_sigaction(signal, info, context);
  if ((previous_segv.sa_flags & SA_SIGINFO) == 0 && previous_segv.sa_handler != SIG_DFL &&
      previous_segv.sa_handler != SIG_IGN)
    return previous_segv.sa_handler(signal);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigaction(SIGSEGV, &default_action, nullptr);  // the faulting access runs again and kills
}

__attribute__((constructor)) void init() {
  // Address space only (MAP_NORESERVE, PROT_NONE): as much as the system lets us, so that never
  // reusing an address cannot run out.
  for (std::size_t gib : {8192, 4096, 1024, 256, 64}) {
    void* p = mmap(nullptr, gib << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p != MAP_FAILED) {
      arena = static_cast<char*>(p);
      arena_size = gib << 30;
      break;
    }
  }
  if (arena == nullptr) die("cannot reserve address space for the device arena");
  const char* order = std::getenv("INDEE_EMU_ORDER");
  reverse_order = order != nullptr && std::strcmp(order, "reverse") == 0;
  if (const char* stats = std::getenv("INDEE_EMU_STATS")) stats_level = std::atoi(stats);
  void* frames[2];
  backtrace(frames, 2);  // loads libgcc now rather than in the signal handler
  struct sigaction action {};
  action.sa_sigaction = segv_handler;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(SIGSEGV, &action, &previous_segv);
}

__attribute__((destructor)) void report() {
  if (stats_level == 0) return;
  std::size_t kernels = 0, launches = 0, blas = 0, copies = 0, memsets = 0;
  for (const auto& [op, n] : calls_per_op) {
    if (op.rfind("cublas", 0) == 0) blas += n;
    else if (op.rfind("cudaMemcpy", 0) == 0) copies += n;
    else if (op.rfind("cudaMemset", 0) == 0) memsets += n;
    else if (op.rfind("cuda", 0) != 0) kernels += 1, launches += n;
  }
  std::fprintf(stderr,
               "[cuda-emulation] %zu fake calls: %zu launches of %zu kernels, %zu cuBLAS, %zu copies, %zu memsets; "
               "peak %zu bytes of device memory, %zu allocations live at exit; order %s\n",
               calls, launches, kernels, blas, copies, memsets, peak_bytes, live.size(),
               reverse_order ? "reverse" : "forward");
  if (stats_level >= 2)
    for (const auto& [op, n] : calls_per_op) std::fprintf(stderr, "[cuda-emulation] %10zu %s\n", n, op.c_str());
}

void protect(char* start, std::size_t bytes, int prot) {
  if (mprotect(start, bytes, prot) != 0) die("mprotect failed");
}

// The live allocation holding all of [p, p + bytes) (bytes 0: p itself), or null.
Allocation* find(const void* p, std::size_t bytes) {
  const auto u = reinterpret_cast<std::uintptr_t>(p);
  auto it = live.upper_bound(u);
  if (it == live.begin()) return nullptr;
  --it;
  const std::uintptr_t start = it->first, end = start + it->second.bytes;
  if (u < start || u >= end || bytes > end - u) return nullptr;
  return &it->second;
}

std::string describe(const void* p) {
  const auto u = reinterpret_cast<std::uintptr_t>(p);
  auto it = live.upper_bound(u);
  if (it == live.begin()) return " (no live allocation below it)";
  --it;
  char text[160];
  std::snprintf(text, sizeof text, " (nearest live allocation below: %p, %zu bytes; the pointer is %+td bytes from its start)",
                static_cast<void*>(it->second.user), it->second.bytes, static_cast<std::ptrdiff_t>(u - it->first));
  return text;
}

// The first byte of [start, start + bytes) that is not kFill, or null.
const char* changed(const char* start, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes; ++i)
    if (static_cast<unsigned char>(start[i]) != kFill) return start + i;
  return nullptr;
}

void check_slack(const Allocation& a) {
  const char* end = a.user + a.bytes;
  const char* hit = changed(a.region, a.user - a.region);
  if (hit == nullptr) hit = changed(end, a.region + a.pages * kPage - end);
  if (hit != nullptr) {
    char text[128];
    std::snprintf(text, sizeof text, " wrote %+td bytes from the start of the %zu-byte allocation at %p",
                  hit - a.user, a.bytes, static_cast<const void*>(a.user));
    die(std::string(current_op) + text + ", outside it (slack within its pages, checked after each call)");
  }
}

}  // namespace

extern "C" {

void emu_fatal(const char* op, const char* message) { die(std::string(op) + ": " + message); }

void emu_begin(const char* op) {
  lock.lock();
  if (depth++ == 0) {
    current_op = op;
    ++calls;
    ++calls_per_op[op];
  }
}

void emu_end() {
  if (--depth == 0) {
    for (Allocation* a : opened) {
      check_slack(*a);
      protect(a->region, a->pages * kPage, PROT_NONE);
      a->open = false;
    }
    opened.clear();
    current_op = nullptr;
    current_stream = nullptr;
  }
  lock.unlock();
}

void emu_device(const char* op, const char* what, const void* p, std::size_t bytes) {
  if (depth == 0) die(std::string(op) + ": device memory checked outside a call");
  if (p == nullptr) die(std::string(op) + ": " + what + " is a null device pointer");
  Allocation* a = find(p, bytes);
  if (a == nullptr) {
    char text[96];
    std::snprintf(text, sizeof text, " %p (%zu bytes) is ", p, bytes);
    die(std::string(op) + ": " + what + text +
        (in_arena(p) ? "device memory but not within one live allocation (freed? out of bounds?)"
                     : "NOT DEVICE MEMORY (a host pointer passed as device memory)") +
        describe(p));
  }
  if (current_stream != nullptr) {
    if (a->stream == nullptr) {
      a->stream = current_stream;
    } else if (a->stream != current_stream) {
      char text[160];
      std::snprintf(text, sizeof text, " %p was first used on stream %p and now on stream %p", p,
                    static_cast<void*>(a->stream), static_cast<void*>(current_stream));
      die(std::string(op) + ": " + what + text + ": memory used on two streams (unordered on a GPU)");
    }
  }
  if (!a->open) {
    protect(a->region, a->pages * kPage, PROT_READ | PROT_WRITE);
    a->open = true;
    opened.push_back(a);
  }
}

void emu_host(const char* op, const char* what, const void* p, std::size_t bytes) {
  if (p == nullptr) die(std::string(op) + ": " + what + " is a null host pointer");
  const char* c = static_cast<const char*>(p);
  if (in_arena(c) || (bytes > 0 && in_arena(c + bytes - 1)) || (c < arena && c + bytes > arena + arena_size))
    die(std::string(op) + ": " + what + " is DEVICE MEMORY where host memory is required" + describe(p));
}

void emu_stream(const char* op, cudaStream_t s) {
  if (streams.count(s) == 0) die(std::string(op) + ": not a live stream (the legacy default stream is not emulated)");
  if (depth > 0) current_stream = s;
}

bool emu_reverse_order() { return reverse_order; }

const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
  }
  return "unknown error";
}

cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : cudaErrorNoDevice; }

cudaError_t cudaGetDeviceProperties(cudaDeviceProp* properties, int device) {
  if (device != 0) return cudaErrorNoDevice;
  std::snprintf(properties->name, sizeof properties->name, "CPU emulation");
  return cudaSuccess;
}

cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  std::lock_guard<std::recursive_mutex> guard(lock);
  *stream = reinterpret_cast<cudaStream_t>(new char[1]);
  streams.insert(*stream);
  return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> guard(lock);
  emu_stream("cudaStreamDestroy", stream);
  streams.erase(stream);
  delete[] reinterpret_cast<char*>(stream);
  return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
  std::lock_guard<std::recursive_mutex> guard(lock);
  emu_stream("cudaStreamSynchronize", stream);
  return cudaSuccess;
}

cudaError_t cudaMalloc(void** pointer, std::size_t bytes) {
  std::lock_guard<std::recursive_mutex> guard(lock);
  if (bytes == 0) die("cudaMalloc of 0 bytes (the backend promises never to ask)");
  const std::size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  const std::size_t pages = (rounded + kPage - 1) / kPage;
  // An emulated device of 64 GiB: larger requests fail as on a GPU (the out-of-memory path).
  if (bytes > (std::size_t(64) << 30) || arena_next + (pages + 1) * kPage > arena_size)
    return cudaErrorMemoryAllocation;
  Allocation a;
  a.region = arena + arena_next;
  a.pages = pages;
  a.user = a.region + pages * kPage - rounded;
  a.bytes = bytes;
  arena_next += (pages + 1) * kPage;  // + the guard page, never mapped
  protect(a.region, pages * kPage, PROT_READ | PROT_WRITE);
  std::memset(a.region, kFill, pages * kPage);
  protect(a.region, pages * kPage, PROT_NONE);
  live[reinterpret_cast<std::uintptr_t>(a.user)] = a;
  live_bytes += bytes;
  peak_bytes = std::max(peak_bytes, live_bytes);
  *pointer = a.user;
  return cudaSuccess;
}

cudaError_t cudaFree(void* pointer) {
  std::lock_guard<std::recursive_mutex> guard(lock);
  if (pointer == nullptr) return cudaSuccess;
  auto it = live.find(reinterpret_cast<std::uintptr_t>(pointer));
  if (it == live.end()) die("cudaFree: not the start of a live allocation (double free?)" + describe(pointer));
  const Allocation a = it->second;
  live_bytes -= a.bytes;
  live.erase(it);
  // Drop the pages, keep the range reserved and PROT_NONE forever: a later access faults.
  if (mmap(a.region, a.pages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) ==
      MAP_FAILED)
    die("cudaFree: cannot re-reserve the freed pages");
  return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void* target, const void* source, std::size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
  const char* op = kind == cudaMemcpyHostToDevice   ? "cudaMemcpyAsync(HostToDevice)"
                   : kind == cudaMemcpyDeviceToHost ? "cudaMemcpyAsync(DeviceToHost)"
                                                    : "cudaMemcpyAsync(DeviceToDevice)";
  emu_begin(op);
  emu_stream(op, stream);
  if (bytes == 0) die(std::string(op) + ": 0 bytes (the backend promises to skip these)");
  switch (kind) {
    case cudaMemcpyHostToDevice:
      emu_host(op, "source", source, bytes);
      emu_device(op, "target", target, bytes);
      break;
    case cudaMemcpyDeviceToHost:
      emu_device(op, "source", source, bytes);
      emu_host(op, "target", target, bytes);
      break;
    case cudaMemcpyDeviceToDevice:
      emu_device(op, "source", source, bytes);
      emu_device(op, "target", target, bytes);
      break;
    default:
      die(std::string(op) + ": a copy kind the emulation does not support");
  }
  std::memmove(target, source, bytes);
  emu_end();
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* target, int value, std::size_t bytes, cudaStream_t stream) {
  emu_begin("cudaMemsetAsync");
  emu_stream("cudaMemsetAsync", stream);
  emu_device("cudaMemsetAsync", "target", target, bytes);
  std::memset(target, value, bytes);
  emu_end();
  return cudaSuccess;
}

// Launches are checked as they are made (emulate_launch), so no error is ever left pending.
cudaError_t cudaGetLastError() { return cudaSuccess; }
cudaError_t cudaDriverGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaRuntimeGetVersion(int* version) {
  *version = 13000;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}

}  // extern "C"

// ---- Fibers: the threads of one block, with __syncthreads a barrier ----------------------------------
// A block's threads cannot run one after another when the kernel has a barrier: each must stop at
// it until all have arrived. They run instead as fibers (own stack each, switched cooperatively by
// emu_ctx_switch, x86-64 System V only) on the calling thread: the scheduler resumes each in turn;
// a fiber runs until its next __syncthreads or its end. No OS threads, so no nondeterminism.
extern "C" void emu_ctx_switch(void** save_sp, void* load_sp);
asm(R"(
.text
.globl emu_ctx_switch
.type emu_ctx_switch,@function
emu_ctx_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
.size emu_ctx_switch, .-emu_ctx_switch
)");

namespace {

constexpr std::size_t kFiberStack = 128 * 1024;
struct Fiber {
  void* sp = nullptr;
  char* stack = nullptr;  // kPage of guard, then kFiberStack
  bool done = false;
};
auto& fibers = *new std::vector<Fiber>;  // kept between launches (never destroyed); under the runtime's lock
void* scheduler_sp = nullptr;
unsigned current_fiber = 0;
bool in_fiber = false;
void (*fiber_function)(void*) = nullptr;
void* fiber_context = nullptr;

[[noreturn]] void fiber_entry() {
  fiber_function(fiber_context);
  fibers[current_fiber].done = true;
  emu_ctx_switch(&fibers[current_fiber].sp, scheduler_sp);
  __builtin_trap();  // a finished fiber is never resumed
}

}  // namespace

extern "C" void emu_run_fibers(unsigned threads, void (*fn)(void*), void* context) {
  if (fibers.size() < threads) fibers.resize(threads);
  fiber_function = fn;
  fiber_context = context;
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = fibers[t];
    if (f.stack == nullptr) {
      void* s = mmap(nullptr, kFiberStack + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (s == MAP_FAILED) die("cannot map a fiber stack");
      protect(static_cast<char*>(s), kPage, PROT_NONE);  // overflow guard
      f.stack = static_cast<char*>(s);
    }
    // The frame emu_ctx_switch pops: six callee-saved registers, then fiber_entry as the return
    // address, then a null "return address" of fiber_entry itself (keeps the stack 16-aligned).
    auto* top = reinterpret_cast<std::uintptr_t*>(f.stack + kPage + kFiberStack);
    top[-1] = 0;
    top[-2] = reinterpret_cast<std::uintptr_t>(&fiber_entry);
    for (int r = 3; r <= 8; ++r) top[-r] = 0;
    f.sp = top - 8;
    f.done = false;
  }
  // Pass after pass, resume every unfinished fiber once: after a pass all have reached the same
  // barrier (or all have ended).
  for (;;) {
    unsigned finished = 0, waiting = 0;
    for (unsigned i = 0; i < threads; ++i) {
      const unsigned t = reverse_order ? threads - 1 - i : i;
      if (fibers[t].done) {
        ++finished;
        continue;
      }
      threadIdx = {t, 0, 0};
      current_fiber = t;
      in_fiber = true;
      emu_ctx_switch(&scheduler_sp, fibers[t].sp);
      in_fiber = false;
      ++(fibers[t].done ? finished : waiting);
    }
    if (waiting == 0) return;
    if (finished != 0)
      die(std::string(current_op != nullptr ? current_op : "?") + ": divergent __syncthreads (" +
          std::to_string(finished) + " threads ended while " + std::to_string(waiting) + " wait at a barrier)");
  }
}

extern "C" void emu_syncthreads() {
  if (!in_fiber)
    die(std::string(current_op != nullptr ? current_op : "?") +
        ": __syncthreads in a kernel launched without fibers (translate_kernels.py decides per .cu file)");
  emu_ctx_switch(&fibers[current_fiber].sp, scheduler_sp);
}

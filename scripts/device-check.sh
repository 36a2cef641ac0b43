#!/usr/bin/env bash
# Device check of the CUDA backend, for a machine with an NVIDIA GPU and the CUDA toolkit (no Node
# needed; cmake, g++ and OpenBLAS's headers are, and are installed with apt-get when missing and
# root). Builds the core, the C++ tests, the benchmark and the CUDA plugin in a fresh build
# directory, then runs the tests (the CPU/CUDA parity tests among them) and the benchmark on both
# devices. Exits non-zero when a step fails, or when the CUDA backend is unavailable although a GPU
# is there. Each step runs under `timeout` so that the whole check ends within 5 minutes.
# Usage: scripts/device-check.sh [build directory, default: a new one under /tmp]
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$(mktemp -d /tmp/indee-device-check.XXXXXX)}
deadline=$((SECONDS + 290))
summary=()

fail() {
  echo "device-check: FAILED: $*" >&2
  exit 1
}
# step NAME SECONDS COMMAND...: runs COMMAND with at most SECONDS (or what is left before the
# deadline), its output shown and kept in $build/NAME.log; records the outcome for the summary.
step() {
  local name=$1 limit=$2 started=$SECONDS status
  shift 2
  ((limit > deadline - SECONDS)) && limit=$((deadline - SECONDS))
  ((limit > 0)) || fail "out of time before '$name'"
  echo
  echo "== $name (at most ${limit} s)"
  timeout "$limit" "$@" 2>&1 | tee "$build/$name.log"
  status=${PIPESTATUS[0]}
  summary+=("$(printf '%-10s %-28s %5d s' "$name" "$( ((status == 0)) && echo ok || echo "FAILED (exit $status)")" $((SECONDS - started)))")
  ((status == 0)) || { print_summary; fail "$name (exit $status$( ((status == 124)) && echo ', timed out'); log in $build/$name.log)"; }
}
print_summary() {
  echo
  echo "== summary (build directory $build)"
  printf '%s\n' "${summary[@]}"
}

mkdir -p "$build"

# ---- The machine ----------------------------------------------------------------------------------
nvidia-smi -L || fail "nvidia-smi lists no GPU: this check needs an NVIDIA GPU and its driver"
if ! command -v nvcc >/dev/null; then
  for candidate in "${CUDA_HOME:-}" "${CUDA_PATH:-}" /usr/local/cuda; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/nvcc" ] && export PATH="$candidate/bin:$PATH" && break
  done
fi
command -v nvcc >/dev/null || fail "nvcc not found: install the CUDA toolkit or put its bin/ on PATH"
nvcc --version | tail -n 2

missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v g++ >/dev/null || missing+=(g++)
if ! ls /usr/include/cblas.h /usr/include/*/cblas.h /usr/include/openblas/cblas.h /usr/include/*/openblas*/cblas.h \
  >/dev/null 2>&1; then
  missing+=(libopenblas-dev)
fi
if ((${#missing[@]} > 0)); then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${missing[*]}"
    timeout 120 apt-get update -qq && DEBIAN_FRONTEND=noninteractive timeout 120 apt-get install -y -qq "${missing[@]}" \
      || fail "could not install ${missing[*]}"
  else
    fail "missing ${missing[*]} (on Debian/Ubuntu: sudo apt-get install ${missing[*]})"
  fi
fi

# ---- Build ----------------------------------------------------------------------------------------
step configure 60 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DINDEE_CUDA=ON -DINDEE_BUILD_TESTS=ON
step build 150 cmake --build "$build" -j "$(nproc)"
plugin="$build/indeependence-cuda.so"
[ -f "$plugin" ] || fail "the build made no $plugin"
if ldd "$plugin" | grep -E 'libcublas|libcudart'; then
  fail "$plugin is linked with cuBLAS or the shared CUDA runtime (it must load cuBLAS itself and link cudart statically)"
fi

# ---- Tests and benchmark --------------------------------------------------------------------------
step tests 120 "$build/indee_tests"
if grep -q 'skipped: CUDA backend unavailable' "$build/tests.log"; then
  print_summary
  fail "a GPU is present but the CUDA backend is unavailable: $(grep -m1 'skipped: CUDA' "$build/tests.log")"
fi
# 0.2 s per measurement; the original's schedule on at most 50 rows or 15 s per device.
step bench 90 "$build/indee_bench" 0.2 50 15
if grep -q '^cuda: unavailable' "$build/bench.log"; then
  print_summary
  fail "the benchmark could not use the CUDA backend: $(grep -m1 '^cuda: unavailable' "$build/bench.log")"
fi

print_summary
echo "device-check: ok"

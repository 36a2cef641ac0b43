#!/usr/bin/env bash
# The CUDA plugin run on the CPU: no machine in CI has a GPU, so the plugin's code (native/backend/
# cuda/) would otherwise be compiled there but never executed. This builds it, from the current
# sources, against a strict emulation of the CUDA runtime and cuBLAS (native/tests/cuda_emulation/:
# device memory that host code cannot touch, provenance and bounds checks on every call, barriers as
# real barriers) and runs on it what a GPU machine would run:
#
#   1. the guard selftest: negative controls, each planting one misuse the emulation must catch;
#   2. the C++ tests (build with plain cmake, -DINDEE_CUDA=OFF), with the emulated plugin, twice:
#      blocks and threads first to last, then last to first (INDEE_EMU_ORDER=reverse, so that a
#      race shows as a difference). Every CUDA parity test must run (none skipped) and pass, every
#      kernel must be launched, and no device memory may be left allocated at exit;
#   3. if the addon has been built (build/Release/indeependence.node, e.g. by `npm test`, or the
#      file INDEEPENDENCE_BINARY names), test/device.test.ts with the emulated plugin: its CUDA
#      parity test must run and pass.
#
# Everything is built in a temporary folder, removed on exit (or in INDEE_EMULATION_DIR, kept); the
# repository is not written to.
# Usage: scripts/reliability/cuda-emulated.sh   (from anywhere; needs g++, cmake, python3, OpenBLAS)
# Environment: INDEE_EMULATION_JOBS (default 2): parallel compile jobs; INDEEPENDENCE_BINARY: the
# addon for step 3 (default build/Release/indeependence.node).
# The emulation's own switches (INDEE_EMU_ORDER, INDEE_EMU_STATS) are described in
# native/tests/cuda_emulation/emulated_runtime.cpp. With INDEE_EMULATION_DIR=<dir>, any program can
# then be run by hand on the emulated plugin:
#   LD_LIBRARY_PATH=<dir>/lib INDEEPENDENCE_CUDA_PLUGIN=<dir>/lib/indeependence-cuda.so <program>
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
started=$SECONDS
fail() {
  echo "cuda-emulated: FAILED: $*" >&2
  [[ -n "${INDEE_EMULATION_DIR:-}" ]] || echo "cuda-emulated: rerun with INDEE_EMULATION_DIR=<dir> to keep the logs and the build" >&2
  exit 1
}

jobs="${INDEE_EMULATION_JOBS:-2}"
emulation=native/tests/cuda_emulation
cuda=native/backend/cuda
if [[ -n "${INDEE_EMULATION_DIR:-}" ]]; then  # kept, for rerunning a program by hand
  work="$(mkdir -p "$INDEE_EMULATION_DIR" && cd "$INDEE_EMULATION_DIR" && pwd)"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/indee-cuda-emulated.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi
lib="$work/lib"
mkdir -p "$lib" "$work/obj"

# ---- build the emulation and the plugin ------------------------------------------------------------
# As the real plugin (CMakeLists.txt): C++17, -Wall -Wextra, hidden visibility, exports.map,
# --no-undefined; no contraction into FMAs (the real kernels are compiled with --fmad=false). -g: for
# the source lines of a crash's backtrace (symbolize, below).
flags=(-std=c++17 -g -fPIC -ffp-contract=off -Wall -Wextra -I"$emulation/include" -Inative -iquote "$cuda")
echo "cuda-emulated: translating $cuda/*.cu and building the emulated plugin in $work"
python3 "$emulation/translate_kernels.py" "$work/kernels" "$cuda"/*.cu | sed 's/^/  /'

pids=()
waited=0
compile() {  # compile OUTPUT FLAGS... SOURCE in the background, at most $jobs at once
  while ((${#pids[@]} - waited >= jobs)); do wait_one; done
  g++ "${flags[@]}" "${@:2}" -c -o "$1" &
  pids+=($!)
}
wait_one() {
  wait "${pids[waited]}" || fail "a compilation failed (messages above)"
  waited=$((waited + 1))
}
compile "$work/obj/runtime.o" -O2 "$emulation/emulated_runtime.cpp"
compile "$work/obj/cublas.o" -O3 "$emulation/emulated_cublas.cpp"  # -O3: vectorised, most of the run time
compile "$work/obj/selftest.o" -O2 "$emulation/guard_selftest.cpp"
plugin_objects=()
for source in "$cuda"/plugin.cpp "$cuda"/cuda_backend.cpp "$cuda"/cublas.cpp "$work"/kernels/*.cpp; do
  object="$work/obj/plugin-$(basename "$source" .cpp).o"
  compile "$object" -O2 -fvisibility=hidden -fvisibility-inlines-hidden "$source"
  plugin_objects+=("$object")
done
while ((waited < ${#pids[@]})); do wait_one; done

g++ -shared "$work/obj/runtime.o" -o "$lib/libemucuda.so" -Wl,-soname,libemucuda.so -lpthread
g++ -shared "$work/obj/cublas.o" -o "$lib/libcublas.so.13" -Wl,-soname,libcublas.so.13 -L"$lib" -lemucuda
g++ -shared "${plugin_objects[@]}" -o "$lib/indeependence-cuda.so" -L"$lib" -lemucuda -ldl \
  -Wl,--version-script="$cuda/exports.map" -Wl,--no-undefined
g++ "$work/obj/selftest.o" -o "$work/guard_selftest" -L"$lib" -lemucuda -ldl
exported="$(nm -D --defined-only "$lib/indeependence-cuda.so" | awk '{print $3}' | tr '\n' ' ')"
[[ "$exported" == "indee_create_cuda_backend " ]] || fail "the plugin exports more than its entry point: $exported"

unset INDEEPENDENCE_CUDA_TF32 INDEE_EMU_ORDER INDEE_EMU_STATS
# Runs a command with the emulated plugin: the core loads it from INDEEPENDENCE_CUDA_PLUGIN, and it
# finds libemucuda.so and the fake libcublas.so.13 on LD_LIBRARY_PATH.
emulated() {
  LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" INDEEPENDENCE_CUDA_PLUGIN="$lib/indeependence-cuda.so" "$@"
}

# ---- 1. the guards fire ------------------------------------------------------------------------------
echo "cuda-emulated: guard selftest"
if ! emulated "$work/guard_selftest" "$lib/indeependence-cuda.so" | tee "$work/selftest.log" | sed 's/^/  /'; then
  ! grep -q '^FAIL clean ' "$work/selftest.log" ||
    fail "the plugin failed the selftest's clean run (mirror, dot, download; no misuse planted): see above"
  fail "a guard of the emulation did not fire: see the control marked FAIL above"
fi
caught="$(grep -c '^ok   .* caught: ' "$work/selftest.log" || true)"
controls="$(grep -cE '^(ok  |FAIL) ' "$work/selftest.log" || true)"

# ---- 2. the C++ tests -------------------------------------------------------------------------------
echo "cuda-emulated: building indee_tests (cmake -DINDEE_CUDA=OFF, -j$jobs)"
cmake -S . -B "$work/build" -DINDEE_CUDA=OFF -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; fail "cmake configure failed"; }
cmake --build "$work/build" --target indee_tests -j "$jobs" >"$work/build.log" 2>&1 ||
  { tail -n 50 "$work/build.log" >&2; fail "building indee_tests failed"; }

# The emulation's backtraces give FILE(+OFFSET) per frame: add the function and source line.
symbolize() {
  local line
  while IFS= read -r line; do
    if [[ "$line" =~ ^([^\(]+)\(\+(0x[0-9a-f]+)\) && -f "${BASH_REMATCH[1]}" ]]; then
      line+="  $(addr2line -f -C -p -e "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" 2>/dev/null || true)"
    fi
    echo "$line"
  done
}

kernels="$(sed -nE 's/^[[:space:]]*__global__ (.* )?void ([A-Za-z0-9_]+)\(.*/\2/p' "$cuda"/*.cu | sort)"
[[ -n "$kernels" ]] || fail "no kernel found in $cuda/*.cu"
for order in forward reverse; do
  log="$work/tests-$order.log"
  echo "cuda-emulated: indee_tests with the emulated plugin, blocks and threads in $order order"
  status=0
  INDEE_EMU_ORDER="$order" INDEE_EMU_STATS=2 emulated "$work/build/indee_tests" >"$log" 2>&1 || status=$?
  grep -E '^(FAIL|  FAILED|  skipped)|\*\*\* EMULATED CUDA|^\[cuda-emulation\] [0-9]+ fake calls' "$log" | sed 's/^/  /' || true
  if ((status != 0)); then  # the failed cases are listed above; a crash also gets its backtrace
    if grep -q '\*\*\* EMULATED CUDA' "$log"; then
      sed -n '/\*\*\* EMULATED CUDA/,$p' "$log" | grep -v '^\[cuda-emulation\] ' | symbolize >&2
    elif ! grep -q '^FAIL ' "$log"; then
      tail -n 30 "$log" >&2
    fi
    fail "indee_tests failed ($order order, exit status $status)"
  fi
  ! grep -q 'skipped: CUDA' "$log" || fail "CUDA parity tests were skipped ($order order): the emulated plugin did not load"
  parity="$(grep -c '^ok   parity_' "$log" || true)"
  ((parity > 0)) || fail "no CUDA parity test passed ($order order)"
  summary="$(grep -E '^\[cuda-emulation\] [0-9]+ fake calls' "$log")" || fail "no emulation statistics ($order order)"
  [[ "$summary" == *", 0 allocations live at exit;"* ]] || fail "device memory left allocated at exit ($order order): $summary"
  for kernel in $kernels; do
    grep -qE "^\[cuda-emulation\] +[0-9]+ $kernel\$" "$log" || fail "kernel $kernel is never launched by the C++ tests: add a parity test"
  done
done
tests="$(grep -E '^[0-9]+/[0-9]+ passed$' "$work/tests-forward.log")"
calls="$(sed -E 's/^\[cuda-emulation\] ([0-9]+) fake calls.*/\1/' <<<"$summary")"

# ---- 3. the Node addon ------------------------------------------------------------------------------
addon="${INDEEPENDENCE_BINARY:-$root/build/Release/indeependence.node}"
if [[ -f "$addon" ]]; then
  echo "cuda-emulated: jest test/device.test.ts with $addon and the emulated plugin"
  status=0
  INDEEPENDENCE_BINARY="$addon" INDEE_EMU_STATS=1 \
    emulated npx --no-install jest --ci test/device.test.ts --json --outputFile="$work/jest.json" >"$work/jest.log" 2>&1 || status=$?
  grep -E '✓|✕|○|skipped|\*\*\* EMULATED CUDA|^\[cuda-emulation\]' "$work/jest.log" | sed 's/^/  /' || true
  ((status == 0)) || { tail -n 60 "$work/jest.log" >&2; fail "jest test/device.test.ts failed (exit status $status)"; }
  jest="$(node -e '
    const r = require(process.argv[1]);
    const all = r.testResults.flatMap((f) => f.assertionResults);
    const parity = all.filter((t) => /CUDA model learns and infers/.test(t.title));
    if (parity.length !== 1 || parity[0].status !== "passed") {
      console.error(`its status: ${parity.map((t) => t.status).join(", ") || "not found"}`);
      process.exit(1);
    }
    console.log(`${r.numPassedTests}/${r.numTotalTests} passed`);
  ' "$work/jest.json")" || fail "test/device.test.ts: the CUDA parity test was skipped or failed"
  jest_calls="$(sed -nE 's/^\[cuda-emulation\] ([0-9]+) fake calls.*/\1/p' "$work/jest.log" | head -n 1)"
  node_part="jest device.test.ts $jest (CUDA parity ran; ${jest_calls:-?} fake calls)"
else
  echo "cuda-emulated: no $addon (build it with npm run build:native): test/device.test.ts not run"
  node_part="jest not run (no addon)"
fi

echo "cuda-emulated: ok in $((SECONDS - started)) s: guard selftest $caught/$((controls - 1)) misuses caught; indee_tests $tests in both orders ($parity parity tests, none skipped; $calls fake calls per run); $node_part"

#!/usr/bin/env bash
# AddressSanitizer + UndefinedBehaviorSanitizer run: builds the core, the addon and the C++ tests
# with -DINDEE_SANITIZE=ON into build-sanitize/ (build/ is left alone), runs the C++ tests, a jest
# subset that exercises the native code through the sanitized addon, and the binding smoke script
# (scripts/reliability/binding-smoke.js) with the same addon. Exits non-zero on a test failure and
# on any sanitizer report, even one a test run survived.
#
# Usage: scripts/reliability/sanitize.sh [extra jest test files...]
#   e.g. scripts/reliability/sanitize.sh test/cli.test.ts   (adds ~90 s under the sanitizers)
# Environment: INDEE_SANITIZE_BUILD (default build-sanitize), INDEE_SANITIZE_JOBS (default 2).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
fail() { echo "sanitize: $*" >&2; exit 1; }

out="${INDEE_SANITIZE_BUILD:-build-sanitize}"
jobs="${INDEE_SANITIZE_JOBS:-2}"

# ---- build --------------------------------------------------------------------------------------
npx cmake-js compile --out "$out" --parallel "$jobs" --CDINDEE_SANITIZE=ON
grep -q '^INDEE_SANITIZE:BOOL=ON$' "$out/CMakeCache.txt" || fail "$out is not configured with INDEE_SANITIZE=ON"
addon="$root/$out/Release/indeependence.node"
[[ -f "$addon" ]] || fail "no sanitized addon at $addon"
# dist/ (the compiled TypeScript) is what scripts/example.js, run by test/readme.test.ts, loads.
npm run build:ts --silent

# Where the reports go. AddressSanitizer writes each process's report to a file <prefix>.<pid> in
# $logs (log_path), so a report cannot get lost in a crashed worker's or a test's child process's
# captured stderr. UndefinedBehaviorSanitizer ignores log_path when it runs inside the ASan runtime
# (gcc 12's libubsan: checked, it prints to stderr regardless), so the output of each run is also
# tee'd to a file and searched for the sanitizers' report lines. With -fno-sanitize-recover=all a
# UBSan report also aborts its process, which fails the run that started it.
logs="$root/$out/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
reports() {  # $1: the tee'd output of the run just finished
  local found=0 f
  shopt -s nullglob
  for f in "$logs"/asan-*; do echo "==== $f" >&2; cat "$f" >&2; found=1; done
  shopt -u nullglob
  if grep -nE 'runtime error:|ERROR: (Address|Leak|UndefinedBehavior)Sanitizer|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer' "$1" >&2; then
    echo "==== (sanitizer lines above are from $1)" >&2
    found=1
  fi
  return $((found == 0 ? 0 : 1))
}
# -fno-sanitize-recover=all already makes every UBSan check fatal; halt_on_error says so again.
common_ubsan="halt_on_error=1:print_stacktrace=1:report_error_type=1"

# ---- C++ tests: a fully instrumented program, so LeakSanitizer is on ----------------------------
echo "sanitize: C++ tests under ASan/UBSan (with leak detection)"
status=0
ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1:log_path=$logs/asan-ctest" \
UBSAN_OPTIONS="$common_ubsan" \
  ctest --test-dir "$out" --output-on-failure --no-tests=error 2>&1 | tee "$logs/ctest.out" || status=$?
reports "$logs/ctest.out" || fail "the C++ tests produced sanitizer reports"
((status == 0)) || fail "the C++ tests failed (ctest exit status $status)"

# ---- jest subset through the sanitized addon ----------------------------------------------------
# node itself is not instrumented, so the ASan runtime must be the first library in the process:
# LD_PRELOAD it (libubsan is a plain dependency of the addon and needs no preload). Every node
# started below (npx, jest, its workers, child processes of the tests) inherits it.
#
# detect_leaks=0: LeakSanitizer would check every process at its exit, and LD_PRELOAD reaches them
# all. Node does not tear its isolates down before exiting, so V8's own blocks are reported (tried:
# the jest run below then reports ~69 KB in ~1500 blocks from v8::internal::Page::
# AllocateFreeListCategories), and so are the shells that npx starts (bash's xmalloc, tr): not our
# leaks, and each such report would fail the run. Leaks of our own code are checked under valgrind
# instead (scripts/reliability/valgrind.sh), attributed by the allocation's stack; the C++ tests
# above, a program wholly ours, keep leak detection.
asan_lib="$(gcc -print-file-name=libasan.so)"
[[ "$asan_lib" == /* && -e "$asan_lib" ]] || fail "gcc has no libasan.so (gcc -print-file-name=libasan.so gave '$asan_lib')"
files=(test/equations.test.ts test/learning.test.ts test/async.test.ts test/validation.test.ts test/checkpoint.test.ts
  test/mlp.test.ts test/continual.test.ts test/readme.test.ts "$@")
echo "sanitize: jest ${files[*]} with $addon"
status=0
LD_PRELOAD="$asan_lib${LD_PRELOAD:+:$LD_PRELOAD}" \
ASAN_OPTIONS="detect_leaks=0:strict_string_checks=1:log_path=$logs/asan-node" \
UBSAN_OPTIONS="$common_ubsan" \
INDEEPENDENCE_BINARY="$addon" \
  npx jest --ci "${files[@]}" 2>&1 | tee "$logs/jest.out" || status=$?
reports "$logs/jest.out" || fail "the jest run produced sanitizer reports"
((status == 0)) || fail "jest failed (exit status $status)"

# ---- the binding smoke script (also run under valgrind): the entry points jest does not reach ----
echo "sanitize: node scripts/reliability/binding-smoke.js with $addon"
status=0
LD_PRELOAD="$asan_lib${LD_PRELOAD:+:$LD_PRELOAD}" \
ASAN_OPTIONS="detect_leaks=0:strict_string_checks=1:log_path=$logs/asan-smoke" \
UBSAN_OPTIONS="$common_ubsan" \
INDEEPENDENCE_BINARY="$addon" \
  node --expose-gc scripts/reliability/binding-smoke.js 2>&1 | tee "$logs/smoke.out" || status=$?
reports "$logs/smoke.out" || fail "the binding smoke script produced sanitizer reports"
((status == 0)) || fail "the binding smoke script failed (exit status $status)"
echo "sanitize: ok (C++ tests, ${#files[@]} jest files and the binding smoke script: no sanitizer report)"

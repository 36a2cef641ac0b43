#!/usr/bin/env bash
# Valgrind (memcheck) run of the normal, unsanitized build in build/: node runs
# scripts/reliability/binding-smoke.js, which walks every entry point of the addon. Fails when the
# smoke script fails, or when memcheck reports, in our code,
#   - an invalid read/write/free, a use of an uninitialised value, an uninitialised syscall
#     argument, an overlapping copy (any non-leak error), or
#   - a "definitely lost" block allocated by our addon.
#
# Why a filter and not --error-exitcode: node and V8 are not valgrind-clean. V8's garbage collector
# scans thread stacks conservatively, which memcheck reports as "Conditional jump or move depends on
# uninitialised value(s)" in heap::base::Stack::IteratePointers* (204 in a run here), and the
# other reports from Node/V8/ICU/OpenSSL change with the Node version. A suppression file would
# have to follow every Node release. Instead memcheck writes XML, and the check below keeps an error
# only when one of its stack frames is ours: a frame in the addon (indeependence.node, which also
# holds the statically linked core) or a function named indee::*. For uninitialised values the
# origin stack (--track-origins) counts too, since our code may create the value that V8 or libc
# later uses, except when the use is V8's conservative stack scan (any stack slot of any frame,
# ours included, looks "uninitialised" to it). Every error left out is still counted and its top
# frame printed, so new noise is visible.
#
# One leak of ours is known and allowed, in a bounded amount: when a worker thread is terminated
# with async operations pending, their promises can no longer be settled, and Node-API frees the
# 8-byte handle it allocated in napi_create_promise only when a promise is settled (there is no
# other call that frees it). The smoke script terminates one worker with N operations pending and
# prints N; at most that many blocks allocated by napi_create_promise under
# OperationQueue::run_async may be lost. One more fails the run (a promise we lose elsewhere).
#
# Usage: scripts/reliability/valgrind.sh        (builds build/ and dist/ first: npm run build:all)
# Environment: INDEE_VALGRIND_NO_BUILD=1 skips the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
fail() { echo "valgrind: $*" >&2; exit 1; }

command -v valgrind >/dev/null || fail "valgrind is not installed (Debian/Ubuntu: apt-get install valgrind)"
command -v python3 >/dev/null || fail "python3 is needed to read valgrind's XML report"
[[ "${INDEE_VALGRIND_NO_BUILD:-}" == 1 ]] || npm run build:all --silent
addon="$root/build/Release/indeependence.node"
[[ -f "$addon" ]] || fail "no addon at $addon (run npm run build:native)"
if grep -q '^INDEE_SANITIZE:BOOL=ON$' build/CMakeCache.txt 2>/dev/null; then
  fail "build/ is a sanitizer build; valgrind needs the normal one (rm -rf build && npm run build:native)"
fi

out="$root/build/valgrind"
mkdir -p "$out"
xml="$out/memcheck.xml"
log="$out/memcheck.log"
rm -f "$xml" "$log"

echo "valgrind: memcheck on node scripts/reliability/binding-smoke.js with $addon"
status=0
# --show-leak-kinds/--errors-for-leak-kinds=definite: "still reachable" and "possibly lost" blocks
# at exit are what Node/V8 keep until the process ends (the isolate's heap, interned strings,
# thread-local caches, OpenBLAS's buffers); only a block nothing points to is a leak.
# --child-silent-after-fork: smoke runs spawn nothing, but never trace another process's output.
INDEEPENDENCE_BINARY="$addon" INDEEPENDENCE_THREADS=2 \
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
  --track-origins=yes --num-callers=50 --child-silent-after-fork=yes \
  --xml=yes --xml-file="$xml" --log-file="$log" \
  node --expose-gc scripts/reliability/binding-smoke.js 2>&1 | tee "$out/smoke.out" || status=$?
((status == 0)) || { cat "$log" >&2 || true; fail "the smoke script failed under valgrind (exit status $status)"; }
unsettled="$(sed -n 's/^binding-smoke: worker terminated with \([0-9][0-9]*\) operations pending ok.*/\1/p' "$out/smoke.out")"
[[ -n "$unsettled" ]] || fail "the smoke script did not report the operations pending in its terminated worker"

python3 - "$xml" "$addon" "$unsettled" <<'PY'
import os, sys, xml.etree.ElementTree as ET

xml_file, addon, unsettled = sys.argv[1], os.path.realpath(sys.argv[2]), int(sys.argv[3])
root = ET.parse(xml_file).getroot()
states = [s.findtext("state") for s in root.iter("status")]
if "FINISHED" not in states:
    sys.exit(f"valgrind: {xml_file} is incomplete (status {states}): memcheck did not finish")


def frames(stack):
    return [(f.findtext("fn") or "?", f.findtext("obj") or "?", f.findtext("file"), f.findtext("line")) for f in stack.findall("frame")]


def ours(frame):
    fn, obj, _, _ = frame
    return (obj != "?" and os.path.realpath(obj) == addon) or "indee::" in fn


def show(frame):
    fn, obj, file, line = frame
    return f"{fn} ({file}:{line})" if file else f"{fn} ({os.path.basename(obj)})"


def unsettled_promise(stack):
    # operator new <- napi_create_promise <- (node-addon-api, inlined) <- OperationQueue::run_async
    names = [f[0] for f in stack]
    return (len(names) >= 3 and names[1] == "napi_create_promise"
            and any("OperationQueue::run_async" in n for n in names[2:4]))


counts = {e.findtext("unique"): int(e.findtext("count")) for e in root.iter("pair")}
found, ignored, promise_blocks = [], {}, 0
for error in root.findall("error"):
    kind = error.findtext("kind")
    stacks = [frames(s) for s in error.findall("stack")]
    use = stacks[0] if stacks else []
    what = error.findtext("what") or error.findtext("xwhat/text") or kind
    if kind.startswith("Leak_") and unsettled_promise(use):
        promise_blocks += int(error.findtext("xwhat/leakedblocks") or 1)
        bad = False
        if promise_blocks > unsettled:
            found.append((kind, f"{what} (more unsettled-promise handles than the {unsettled} operations "
                                f"pending in the terminated worker)", stacks, 1))
        continue
    if kind.startswith("Leak_"):
        # Only DefinitelyLost reaches the XML (--show-leak-kinds=definite); its stack is the allocation's.
        bad = any(ours(f) for f in use)
    elif kind.startswith("Uninit") or kind == "SyscallParam":
        scan = any("IteratePointers" in f[0] or "heap::base::Stack" in f[0] for f in use[:4])
        bad = any(ours(f) for f in use) or (not scan and any(ours(f) for s in stacks[1:] for f in s))
    else:
        bad = any(ours(f) for f in use)
    if bad:
        found.append((kind, what, stacks, counts.get(error.findtext("unique"), 1)))
    else:
        key = f"{kind} in {show(use[0]) if use else '?'}"
        ignored[key] = ignored.get(key, 0) + counts.get(error.findtext("unique"), 1)

for key, n in sorted(ignored.items()):
    print(f"valgrind: ignored (not our code): {n} x {key}")
print(f"valgrind: known: {promise_blocks} unsettled-promise handle(s) of 8 bytes lost by Node-API "
      f"(allowed: {unsettled}, the operations pending in the terminated worker)")
for kind, what, stacks, n in found:
    print(f"valgrind: OUR CODE: {kind} ({n} x): {what}", file=sys.stderr)
    for i, stack in enumerate(stacks):
        print("  " + ("at" if i == 0 else "origin/allocation"), file=sys.stderr)
        for f in stack[:25]:
            print("    " + ("* " if ours(f) else "  ") + show(f), file=sys.stderr)
if found:
    sys.exit(f"valgrind: {len(found)} error(s) in our code (full report: {xml_file})")
print(f"valgrind: ok: no invalid access, uninitialised use or definite leak in our code "
      f"({sum(ignored.values())} reports from node/V8 itself ignored)")
PY

#!/usr/bin/env bash
# The install smoke test: build the prebuilt binary, pack the package, install the tarball into a
# fresh project with a PATH that has no compiler, make or cmake (so nothing can be compiled), and
# use it there from CommonJS, from an ES module and from a worker thread. Prints the tarball size,
# the binary size and the time to load the package.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
fail() { echo "smoke-install: $*" >&2; exit 1; }

npm run prebuild
shopt -s nullglob
binaries=(prebuilds/linux-x64/*.node)
[[ ${#binaries[@]} -eq 1 ]] || fail "expected exactly one .node in prebuilds/linux-x64, found ${#binaries[@]}"
binary="${binaries[0]}"
# Only the C/C++ runtime and the system libraries every Linux has: no OpenBLAS, no libgfortran.
unexpected="$(ldd "$binary" | awk '{print $1}' | grep -vE '^(linux-vdso\.so\.1|libstdc\+\+\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libpthread\.so\.0|libdl\.so\.2|/lib64/ld-linux-x86-64\.so\.2)$' || true)"
[[ -z "$unexpected" ]] || fail "the prebuilt binary depends on: $unexpected"
if nm -D --undefined-only "$binary" | grep -q gfortran; then fail "the prebuilt binary has undefined libgfortran symbols"; fi
# The CUDA plugin ships beside it wherever nvcc built it; it loads cuBLAS and the driver itself, so it
# needs nothing CUDA to be loaded either.
plugin=prebuilds/linux-x64/indeependence-cuda.so
if command -v nvcc >/dev/null; then [[ -f "$plugin" ]] || fail "nvcc is here but the prebuilt CUDA plugin is missing"; fi
if [[ -f "$plugin" ]]; then
  unexpected="$(ldd "$plugin" | awk '{print $1}' | grep -vE '^(linux-vdso\.so\.1|libstdc\+\+\.so\.6|libm\.so\.6|libgcc_s\.so\.1|libc\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|/lib64/ld-linux-x86-64\.so\.2)$' || true)"
  [[ -z "$unexpected" ]] || fail "the CUDA plugin depends on: $unexpected"
  exports="$(nm -D --defined-only "$plugin" | awk '{print $3}')"
  [[ "$exports" == indee_create_cuda_backend ]] || fail "the CUDA plugin exports more than its entry point: $exports"
fi

if [[ -f "$plugin" ]]; then plugin_entry="package/$plugin"; export INDEE_SMOKE_PLUGIN=1; fi
tarball="$root/$(npm pack --silent | tail -1)"
trap 'rm -f "$tarball"' EXIT
contents="$(tar tzf "$tarball")"
for wanted in package/dist/index.js package/dist/index.mjs package/dist/index.d.ts package/dist/index.d.mts \
  package/dist/cli/bin.js "package/$binary" ${plugin_entry:-} package/CMakeLists.txt package/native/core/stack.cpp package/scripts/install.js; do
  grep -qx "$wanted" <<<"$contents" || fail "the tarball lacks $wanted"
done
if grep -E '^package/(test|docs|native/tests|native/bench|scripts/bench|scripts/smoke)/' <<<"$contents"; then fail "the tarball ships tests or benchmarks"; fi

work="$(mktemp -d)"
trap 'rm -f "$tarball"; rm -rf "$work"' EXIT
# A PATH with node, npm and a shell but nothing that compiles.
mkdir -p "$work/bin" "$work/project"
for tool in node npm npx sh bash env; do ln -s "$(command -v "$tool")" "$work/bin/$tool"; done
cp scripts/smoke/exercise.cjs scripts/smoke/cjs.cjs scripts/smoke/esm.mjs "$work/project/"
load_ms="$(
  cd "$work/project"
  export PATH="$work/bin"
  for tool in cc gcc g++ c++ clang cmake make; do
    if command -v "$tool" >/dev/null; then fail "$tool is on the smoke test's PATH"; fi
  done
  npm init -y >/dev/null
  npm install --no-audit --no-fund "$tarball" >&2
  # The install script (which npm 11 does not run for a dependency unless approved) finds the
  # prebuilt binary and builds nothing.
  node node_modules/indeependence/scripts/install.js >&2
  [[ ! -e node_modules/indeependence/build ]] || fail "the install script built from source although a prebuilt binary loads"
  node cjs.cjs >&2
  node esm.mjs >&2
  npx indeependence --version >/dev/null || fail "the indeependence command does not run"
  node -e "
const start = process.hrtime.bigint();
const { threads } = require('indeependence');
threads(); // loads the native binary
console.log((Number(process.hrtime.bigint() - start) / 1e6).toFixed(0));"
)"
# Where no prebuilt binary loads, the install script builds from source (compilers back on PATH).
(
  cd "$work/project"
  rm -rf node_modules/indeependence/prebuilds
  node node_modules/indeependence/scripts/install.js
  [[ -e node_modules/indeependence/build/Release/indeependence.node ]] || fail "the source build made no binary"
  node cjs.cjs
) >&2

node -e "
const { statSync } = require('node:fs');
const mb = (file) => (statSync(file).size / 1e6).toFixed(1);
console.log('smoke-install: ok. tarball ' + mb(process.argv[1]) + ' MB, prebuilt binary ' + mb(process.argv[2]) + ' MB, require + binary load ' + process.argv[3] + ' ms');
" "$tarball" "$root/$binary" "$load_ms"

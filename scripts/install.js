'use strict';
// The package's install script. A prebuilt binary (prebuilds/<platform>-<arch>) or an earlier
// source build is used when it loads; only when none does is the addon built from source with
// cmake-js (node-gyp-build's own fallback runs node-gyp, which cannot build this CMake project).
// Note: npm 11 runs a dependency's install script only when the user allows it; without it the
// prebuilt binary is loaded at require time, and this script never matters.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
try {
  require('node-gyp-build')(root);
  process.exit(0);
} catch (error) {
  console.log(`indeependence: no prebuilt binary loads here (${error.message.split('\n')[0]}); building from source with cmake-js.`);
}
let cmakeJs;
try {
  cmakeJs = require.resolve('cmake-js/bin/cmake-js');
} catch {
  console.error('indeependence: cmake-js is missing, so the addon cannot be built from source. Reinstall with dependencies.');
  process.exit(1);
}
const result = spawnSync(process.execPath, [cmakeJs, 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.error(
    'indeependence: the source build failed. It needs cmake (>= 3.15), a C++17 compiler and OpenBLAS with its headers ' +
      '(Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev); prebuilt binaries exist for linux-x64 only.',
  );
  process.exit(result.status ?? 1);
}

#!/usr/bin/env node
'use strict';
// prebuildify builds through node-gyp, which cannot build a CMake project: `npm run prebuild` hands
// it this script in node-gyp's place. prebuildify calls `<this> rebuild --target=V --devdir=D
// --arch=A --release|--debug` and then takes the first .node in build/Release; this builds the
// prebuilt flavour with cmake-js — OpenBLAS and libgfortran linked statically, no test programs,
// no -march flags (OpenBLAS picks its kernels at run time) — in its own folder, and copies the
// addon to build/Release for prebuildify to find (and strip). The CUDA plugin, built when CMake finds
// nvcc, goes straight beside the prebuilt binary (prebuildify handles .node files only): the core looks
// for it next to the module that holds it.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const value = (name) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (args[0] !== 'rebuild') {
  console.error(`prebuild-shim: expected to be called by prebuildify as node-gyp with 'rebuild'; got: ${args.join(' ')}`);
  process.exit(2);
}
const debug = args.includes('--debug');
const out = path.join(root, 'build', 'prebuild');
const cmakeJs = [
  require.resolve('cmake-js/bin/cmake-js'),
  'rebuild',
  '--out', out,
  '--CDINDEE_STATIC_BLAS=ON',
  '--CDINDEE_BUILD_TESTS=OFF',
  ...(value('arch') ? ['--arch', value('arch')] : []),
  ...(debug ? ['--debug'] : []),
];
const result = spawnSync(process.execPath, cmakeJs, { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);

const flavour = debug ? 'Debug' : 'Release';
const release = path.join(root, 'build', flavour);
fs.mkdirSync(release, { recursive: true });
fs.copyFileSync(path.join(out, flavour, 'indeependence.node'), path.join(release, 'indeependence.node'));

const plugin = path.join(out, flavour, 'indeependence-cuda.so');
if (fs.existsSync(plugin)) {
  const prebuilds = path.join(root, 'prebuilds', `${process.platform}-${value('arch') ?? process.arch}`);
  fs.mkdirSync(prebuilds, { recursive: true });
  fs.copyFileSync(plugin, path.join(prebuilds, 'indeependence-cuda.so'));
}

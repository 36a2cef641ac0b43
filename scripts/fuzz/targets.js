'use strict';
/**
 * The fuzz targets, shared by test/fuzz.test.ts (short, in CI, against lib/) and scripts/fuzz.js
 * (long, against dist/). `api` is the package (lib/ or dist/) plus its checkpoint codec
 * ({ decodeCheckpoint, encodeCheckpoint } of checkpoint/); `fc` is fast-check.
 * Each target is { name, weight, arbitrary, run }: `run(case)` resolves when the case behaved
 * (a correct result or a package error) and rejects with a FuzzFailure otherwise.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const common = require('./common');

function createTargets(fc, api) {
  const ctx = { tmp: fs.mkdtempSync(path.join(os.tmpdir(), 'indee-fuzz-')) };
  const targets = [...require('./data')(fc, api, ctx), ...require('./checkpoint')(fc, api, ctx), ...require('./api')(fc, api, ctx)];
  return {
    targets,
    cleanup: () => fs.rmSync(ctx.tmp, { recursive: true, force: true }),
  };
}

module.exports = { createTargets, ...common };

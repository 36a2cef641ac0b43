/**
 * Hostile input (issue 7): fast-check properties over every reader of outside bytes (checkpoints,
 * IDX, NPY, CSV) and the public API's argument space, with a short budget for CI. The targets live
 * in scripts/fuzz/ and are shared with the long run, `npm run fuzz` (scripts/fuzz.js, a million
 * cases against dist/). Every case must end in a correct result or one of the package's errors.
 * Seeded: FUZZ_SEED=n reproduces a run; fast-check prints the seed and path of a failure.
 * Below: regression tests for the bugs the fuzzer found.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import fc from 'fast-check';

import * as lib from '../lib';
import { decodeCheckpoint, encodeCheckpoint } from '../lib/checkpoint';
import { Dataset, readIdx, readNpy, streamCsv, streamIdx, streamNpy } from '../lib/data';
import { createTargets, type FuzzTarget } from '../scripts/fuzz/targets';

const api = { ...lib, decodeCheckpoint, encodeCheckpoint };
const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;

/** Cases per target: about 20 s in all on a slow 2-core machine. */
const RUNS: Record<string, number> = {
  idx: 1000,
  npy: 1000,
  csv: 1000,
  'checkpoint.bytes': 800,
  'checkpoint.header': 800,
  'checkpoint.state': 800,
  'model.calls': 1500,
  'model.static': 1000,
};

const { targets, cleanup } = createTargets(fc, api);
afterAll(cleanup);

describe('fuzz: every case ends in a correct result or a package error', () => {
  test('every target has a budget', () => {
    expect(targets.map((t) => t.name).sort()).toEqual(Object.keys(RUNS).sort());
  });

  test.each(targets.map((t): [string, FuzzTarget] => [t.name, t]))('%s', async (name, target) => {
    await fc.assert(
      fc.asyncProperty(target.arbitrary, async (value) => {
        const t0 = Date.now();
        await target.run(value);
        // A hang shows as a slow case long before the test times out (the long run's limit is 1 s).
        expect(Date.now() - t0).toBeLessThan(5000);
      }),
      { numRuns: RUNS[name], seed, endOnFailure: false },
    );
  });
});

// ------------------------------------------------------------------------ regressions found by fuzzing

let folder: string;
beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-fuzz-test-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

const formatError = (pattern: RegExp) => expect.objectContaining({ code: 'ERR_INDEE_FORMAT', message: expect.stringMatching(pattern) });

function idxHeader(dtypeByte: number, dims: number[]): Buffer {
  const out = Buffer.alloc(4 + 4 * dims.length);
  out.set([0, 0, dtypeByte, dims.length]);
  dims.forEach((n, i) => out.writeUInt32BE(n, 4 + 4 * i));
  return out;
}

function npyFile(dict: string, body: Uint8Array = new Uint8Array(0)): Buffer {
  const header = Buffer.from(dict, 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0, 0, 0, 0]);
  pre.writeUInt32LE(header.length, 8);
  return Buffer.concat([pre, header, body]);
}

async function drain(iterable: AsyncIterable<unknown>, cap = 100): Promise<number> {
  let n = 0;
  for await (const _ of iterable) if (++n >= cap) break;
  return n;
}

describe('regressions', () => {
  test('an IDX shape whose product overflows to Infinity before a zero axis (Infinity × 0 = NaN) is refused, not read as an empty tensor', async () => {
    // 40 axes of 2^32 - 1 then a 0: the float product was NaN, which passed every check; readIdx
    // returned a tensor of 0 elements whose shape multiplies to anything but 0.
    const bytes = idxHeader(0x08, [...Array(40).fill(0xffffffff), 0]);
    for (const source of [bytes, zlib.gzipSync(bytes)]) {
      await expect(readIdx(source)).rejects.toEqual(formatError(/absurd header/));
      await expect(drain(streamIdx(source, { rows: 1 }))).rejects.toEqual(formatError(/absurd header/));
    }
  });

  test('a .npy shape with a zero axis after axes of 2^53 - 1 is refused, and streaming it no longer loops 2^53 times', async () => {
    const shape = `(${Array(25).fill('9007199254740991').join(', ')}, 0)`;
    const bytes = npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`);
    await expect(readNpy(bytes)).rejects.toEqual(formatError(/absurd header/));
    await expect(drain(streamNpy(bytes, { rows: 1 }))).rejects.toEqual(formatError(/absurd header/));
    // Even without overflow: an empty array whose other axes are absurd declares more rows than any file holds.
    const wide = npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (9007199254740991, 0), }`);
    await expect(drain(streamNpy(wide, { rows: 1 }))).rejects.toEqual(formatError(/absurd header.*is empty/));
    // Legitimate empty arrays still read.
    const empty = npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3, 0), }`);
    expect(await readNpy(empty)).toEqual({ dtype: 'float32', shape: [0, 3, 0], data: new Float32Array(0) });
  });

  test('a .npy header nested thousands of levels deep is a format error, not a stack overflow', async () => {
    for (const open of ['(', '[', '([']) {
      const deep = open.repeat(30000 / open.length);
      const bytes = npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': ${deep}}`);
      await expect(readNpy(bytes)).rejects.toEqual(formatError(/nested deeper than 8 levels/));
    }
    // NumPy's own nesting (a shape tuple, a list of field tuples) is far below the limit.
    const ok = npyFile(`{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }`, new Uint8Array(8));
    expect((await readNpy(ok)).shape).toEqual([2]);
  });

  test('a CSV whose first line holds a million fields allocates for the rows that arrive, not 256 of them', async () => {
    // Before: the first batch buffer was 256 rows × inputSize floats (1 GiB here, for a 2 MB file).
    const line = Array(1 << 20).fill('0').join(',');
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    for await (const batch of streamCsv(Buffer.from(`${line}\n${line}\n`), { rows: 1000 })) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      expect(batch.rows).toBe(2);
      expect(batch.inputSize).toBe(1 << 20);
    }
    expect(peak - before).toBeLessThan(64 * 2 ** 20);
  });

  test('Dataset.fromTensors counts elements exactly for shapes of many axes', () => {
    const shape = [...Array(40).fill(2 ** 32), 0];
    expect(() => Dataset.fromTensors({ dtype: 'float32', shape, data: new Float32Array(0) })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/^images.shape/) }));
  });

  test('a path with a NUL byte is a TypeError of the package, for the data readers and the checkpoint files', async () => {
    const nul = expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/without NUL bytes/) });
    await expect(readIdx('x\0y')).rejects.toEqual(nul);
    expect(() => streamCsv('x\0y', { rows: 1 })).toThrow(nul);
    await expect(lib.Autoencoder.load('x\0y')).rejects.toEqual(nul);
    await expect(lib.Autoencoder.inspect(path.join(folder, 'x\0y'))).rejects.toEqual(nul);
    const model = new lib.Autoencoder({ inputSize: 1, labelSize: 0, layers: [1] });
    await expect(model.save(path.join(folder, 'x\0y'))).rejects.toEqual(nul);
    model.dispose();
  });

  test('a checkpoint whose C is not symmetric is refused (the model keeps one triangle: it would load as another state)', () => {
    const model = new lib.Autoencoder({ inputSize: 2, labelSize: 0, layers: [3], statistics: 'cumulative', initScale: 0.2 });
    model.collect(Float32Array.of(1, 2, 3, 4));
    const contents = decodeCheckpoint(model.toBuffer());
    model.dispose();
    contents.layers[0].C[1] += 1; // row 0, column 1 of the 4 × 4 matrix; [1, 0] unchanged
    const buffer = encodeCheckpoint(contents.config, { layers: contents.layers, classes: contents.classes }, 'test', {});
    expect(() => lib.Autoencoder.fromBuffer(buffer)).toThrow(formatError(/tensor 'layers.0.C' is not symmetric \(element \[0, 1\]/));
    contents.layers[0].C[4] = contents.layers[0].C[1]; // now symmetric again
    expect(() => lib.Autoencoder.fromBuffer(encodeCheckpoint(contents.config, { layers: contents.layers, classes: contents.classes }, 'test', {})).dispose()).not.toThrow();
  });
});

test('regression: a checkpoint whose rate is 0 in float32 is a format error, not the native RangeError of the constructor', () => {
  const model = new lib.Autoencoder({ inputSize: 1, labelSize: 0, layers: [1] });
  const contents = decodeCheckpoint(model.toBuffer());
  model.dispose();
  const buffer = encodeCheckpoint({ ...contents.config, rate: 1e-46 }, { layers: contents.layers, classes: contents.classes }, 'test', {});
  expect(() => lib.Autoencoder.fromBuffer(buffer)).toThrow(formatError(/not a valid configuration: options\.rate must be a number > 0 in float32/));
  // The smallest float32 rate still loads.
  expect(() => lib.Autoencoder.fromBuffer(encodeCheckpoint({ ...contents.config, rate: 2 ** -149 }, { layers: contents.layers, classes: contents.classes }, 'test', {})).dispose()).not.toThrow();
});

test('regression: the targets leave their cases as drawn (the header edits changed values shared by later cases, until one became cyclic and a worker of the long run ran out of heap)', async () => {
  // Values an arbitrary draws are shared: fc.constantFrom hands the same array or object to every
  // case that draws it. A target must copy what it edits.
  const text = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
  for (const target of targets.filter((t) => t.name.startsWith('checkpoint.'))) {
    const cases = fc.sample(target.arbitrary, { seed: 11, numRuns: 300 });
    const before = cases.map(text);
    for (const c of cases) await target.run(c).catch(() => undefined);
    expect(cases.map(text)).toEqual(before);
  }
});

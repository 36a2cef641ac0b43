/** Checkpoints: the complete state out and back in, bit for bit; every malformed file a clean error. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Autoencoder, type LayerState } from '../lib';
import * as ref from './reference';
import { smallOptions } from './helpers';

let folder: string;
beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-checkpoint-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** A model some way into training, and the data to continue it with. */
function trained(statistics: 'ema' | 'cumulative', seed = 31): Autoencoder {
  const model = new Autoencoder({ ...smallOptions(statistics), seed });
  step(model, 0);
  step(model, 1);
  return model;
}
function step(model: Autoencoder, i: number): Float64Array {
  const x = ref.randomArray(4 * 5, 100 + i, 0, 1), y = ref.randomArray(4 * 3, 200 + i, 0, 1);
  model.collect(x, y, { alpha: 0.2 });
  return model.learn({ steps: 7 });
}

function bytes(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
function expectSameState(a: Autoencoder, b: Autoencoder): void {
  expect(b.config).toEqual(a.config);
  for (let l = 0; l < a.depth; ++l) {
    const s: LayerState = a.layer(l), t: LayerState = b.layer(l);
    for (const key of ['W', 'b', 'B', 'C'] as const) expect(bytes(t[key]).equals(bytes(s[key]))).toBe(true);
    expect(bytes(t.adam.m).equals(bytes(s.adam.m))).toBe(true);
    expect(bytes(t.adam.v).equals(bytes(s.adam.v))).toBe(true);
    expect([t.N, t.adam.t, t.decaySinceFlush]).toEqual([s.N, s.adam.t, s.decaySinceFlush]);
  }
}

describe.each(['ema', 'cumulative'] as const)('%s statistics', (statistics) => {
  test('toBuffer/fromBuffer and save/load give back the complete state', async () => {
    const model = trained(statistics);
    expectSameState(model, Autoencoder.fromBuffer(model.toBuffer()));
    const file = path.join(folder, `${statistics}.safetensors`);
    await model.save(file);
    expectSameState(model, await Autoencoder.load(file));
    expect(fs.readFileSync(file).equals(model.toBuffer())).toBe(true);
  });

  test('a model saved and loaded mid-run continues bit-identically to one that never stopped', async () => {
    const model = trained(statistics);
    const file = path.join(folder, `resume-${statistics}.safetensors`);
    await model.save(file);
    const resumed = await Autoencoder.load(file);
    for (let i = 2; i < 8; ++i) expect(step(resumed, i)).toEqual(step(model, i));
    expectSameState(model, resumed);
    const x = ref.randomArray(3 * 5, 300, 0, 1);
    expect(resumed.infer(x, { steps: 20 })).toEqual(model.infer(x, { steps: 20 }));
  });
});

test('save waits for the async operations started before it', async () => {
  const model = trained('ema');
  const pending = model.collectAsync(ref.randomArray(2 * 5, 7, 0, 1), null);
  const file = path.join(folder, 'after-async.safetensors');
  await Promise.all([pending, model.save(file)]);
  expectSameState(model, await Autoencoder.load(file));
});

test('fromBuffer reads a checkpoint at any byte offset of a larger buffer', () => {
  const model = trained('ema');
  const shifted = Buffer.concat([Buffer.alloc(3), model.toBuffer()]).subarray(3);
  expectSameState(model, Autoencoder.fromBuffer(shifted));
});

test('saving is atomic: it leaves no temporary file, and a failed save keeps the previous checkpoint', async () => {
  const model = trained('ema');
  const file = path.join(folder, 'atomic.safetensors');
  await model.save(file);
  const before = fs.readFileSync(file);
  step(model, 9);
  await model.save(file);
  expect(fs.readFileSync(file).equals(before)).toBe(false);
  expect(fs.readdirSync(folder).filter((name) => name.endsWith('.tmp'))).toEqual([]);

  const missing = path.join(folder, 'no-such-folder', 'model.safetensors');
  await expect(model.save(missing)).rejects.toMatchObject({ code: 'ENOENT', message: expect.stringContaining(missing) });
  await expect(model.save('')).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
});

describe('malformed checkpoints are errors naming the file and the problem', () => {
  const good = () => trained('ema').toBuffer();
  const headerOf = (buffer: Buffer) => JSON.parse(buffer.subarray(8, 8 + Number(buffer.readBigUInt64LE(0))).toString());
  /** The buffer with its header replaced (the data section kept). */
  const withHeader = (buffer: Buffer, header: unknown) => {
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([length, json, buffer.subarray(8 + Number(buffer.readBigUInt64LE(0)))]);
  };
  const edit = (change: (header: Record<string, any>) => void) => {
    const buffer = good();
    const header = headerOf(buffer);
    change(header);
    return withHeader(buffer, header);
  };
  const cases: [string, () => Buffer, RegExp][] = [
    ['an empty file', () => Buffer.alloc(0), /8-byte header length/],
    ['a header length beyond the file', () => { const b = good(); b.writeBigUInt64LE(BigInt(b.length), 0); return b; }, /header length \d+ is outside/],
    ['an oversized header length', () => { const b = good(); b.writeBigUInt64LE(2n ** 60n, 0); return b; }, /header length \d+ is outside/],
    ['a truncated file', () => good().subarray(0, -5), /truncated or has trailing bytes/],
    ['trailing bytes', () => Buffer.concat([good(), Buffer.alloc(4)]), /truncated or has trailing bytes/],
    ['a header that is not JSON', () => { const b = good(); b[9] = 0x7b; b[10] = 0x7b; return b; }, /not valid UTF-8 JSON/],
    ['another format', () => edit((h) => { h.__metadata__.format = 'pytorch'; }), /not a checkpoint of this package/],
    ['an unknown version', () => edit((h) => { h.__metadata__.version = '99'; }), /version "99" is not supported/],
    ['a configuration that does not match the tensors', () => edit((h) => { const c = JSON.parse(h.__metadata__.config); c.layers = [6, 5]; h.__metadata__.config = JSON.stringify(c); }), /tensor 'layers\.1\.W' is F32 \[12, 4\], expected F32 \[12, 5\]/],
    ['an invalid configuration', () => edit((h) => { const c = JSON.parse(h.__metadata__.config); c.rate = -1; h.__metadata__.config = JSON.stringify(c); }), /not a valid configuration: options\.rate/],
    ['a missing tensor', () => edit((h) => { delete h['layers.0.b']; }), /must tile the data|'layers\.0\.b' is missing/],
    ['a wrong dtype', () => edit((h) => { h['layers.0.N'].dtype = 'I64'; }), /'layers\.0\.N' is I64 \[\], expected F64 \[\]/],
    ['an unsupported dtype', () => edit((h) => { h['layers.0.N'].dtype = 'BF16'; }), /dtype "BF16" is not one of/],
    ['overlapping tensors', () => edit((h) => { h['layers.0.decay'].data_offsets = h['layers.0.N'].data_offsets; }), /must tile the data/],
    ['a shape disagreeing with its offsets', () => edit((h) => { h['layers.0.W'].shape = [10, 6]; }), /needs \d+ bytes but data_offsets span/],
    ['an unexpected tensor', () => edit((h) => { h['layers.0.X'] = h['layers.0.N']; }), /unexpected tensor 'layers\.0\.X'|must tile/],
    ['a changed value', () => { const b = good(); b[b.length - 1] ^= 1; return b; }, /SHA-256 .* does not match/],
  ];
  test.each(cases)('%s', async (_, make, problem) => {
    const buffer = make();
    expect(() => Autoencoder.fromBuffer(buffer)).toThrow(expect.objectContaining({ code: 'ERR_INDEE_FORMAT', message: expect.stringMatching(problem) }));
    const file = path.join(folder, 'bad.safetensors');
    fs.writeFileSync(file, buffer);
    await expect(Autoencoder.load(file)).rejects.toMatchObject({ code: 'ERR_INDEE_FORMAT', message: expect.stringContaining(file) });
  });

  test('a value no model can hold, with a matching checksum, is refused by the native check', () => {
    const model = trained('ema');
    // A self-consistent file (valid checksum) whose adam.v holds a negative value: only the state check can catch it.
    const header = headerOf(model.toBuffer());
    const buffer = model.toBuffer();
    const [begin] = header['layers.0.adam.v'].data_offsets;
    const at = 8 + Number(buffer.readBigUInt64LE(0)) + begin;
    buffer.writeFloatLE(-1, at);
    const data = buffer.subarray(8 + Number(buffer.readBigUInt64LE(0)));
    const { config, user } = header.__metadata__;
    header.__metadata__.sha256 = createHash('sha256').update(config).update('\0').update(user).update('\0').update(data).digest('hex');
    expect(() => Autoencoder.fromBuffer(withHeader(buffer, header))).toThrow(
      expect.objectContaining({ code: 'ERR_INDEE_FORMAT', message: expect.stringMatching(/layer 0: adam\.v\[0\] must be a finite non-negative number/) }),
    );
  });

  test('non-buffers and non-paths are argument errors', async () => {
    expect(() => Autoencoder.fromBuffer('model' as never)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    await expect(Autoencoder.load(path.join(folder, 'absent.safetensors'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

test('fuzz: random truncations and byte flips end in a clean error or an identical model', () => {
  const model = trained('cumulative');
  const good = model.toBuffer();
  const random = ref.random(77);
  let identical = 0, refused = 0;
  for (let i = 0; i < 400; ++i) {
    const buffer = Buffer.from(good);
    let damaged: Buffer = buffer;
    if (i % 4 === 0) damaged = buffer.subarray(0, Math.floor(random() * buffer.length));
    else for (let flips = 1 + Math.floor(random() * 3); flips > 0; --flips) buffer[Math.floor(random() * buffer.length)] ^= 1 << Math.floor(random() * 8);
    let loaded: Autoencoder | undefined;
    try {
      loaded = Autoencoder.fromBuffer(damaged);
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_INDEE_FORMAT' });
      ++refused;
      continue;
    }
    expectSameState(model, loaded);
    ++identical;
  }
  expect(refused).toBeGreaterThan(300); // nearly every damage is detected; the rest (header padding, key order) change nothing
  expect(identical + refused).toBe(400);
});

const python = process.env.INDEE_PYTHON ?? 'python3';
const hasSafetensors = spawnSync(python, ['-c', 'import safetensors, numpy'], { stdio: 'ignore' }).status === 0;
if (!hasSafetensors) console.warn(`skipped: the Python safetensors reader is not installed for ${python} (set INDEE_PYTHON to a python with safetensors and numpy)`);
(hasSafetensors ? test : test.skip)('the Python safetensors reader opens a checkpoint and reads the same tensors', async () => {
  const model = trained('ema');
  const file = path.join(folder, 'python.safetensors');
  await model.save(file);
  const summary = JSON.parse(execFileSync(python, [path.join(__dirname, 'fixtures', 'read_checkpoint.py'), file], { encoding: 'utf8' }));
  expect(summary.metadata.format).toBe('indeependence');
  const { device: _device, ...portable } = model.config;  // checkpoints record no device
  expect(JSON.parse(summary.metadata.config)).toEqual(portable);
  const s = model.layer(1);
  const sum = (a: Float32Array) => a.reduce((t, x) => t + x, 0);
  expect(summary.tensors['layers.1.C']).toMatchObject({ dtype: 'float32', shape: [12, 12] });
  expect(summary.tensors['layers.1.C'].sum).toBeCloseTo(sum(s.C), 4);
  expect(summary.tensors['layers.1.W']).toMatchObject({ dtype: 'float32', shape: [12, 4] });
  expect(summary.tensors['layers.1.W'].sum).toBeCloseTo(sum(s.W), 4);
  expect(summary.tensors['layers.1.N']).toEqual({ dtype: 'float64', shape: [], sum: s.N });
  expect(summary.tensors['layers.1.adam.t']).toEqual({ dtype: 'int64', shape: [], sum: s.adam.t });
  expect(Object.keys(summary.tensors)).toHaveLength(9 * model.depth);
});

test('metadata saved with a model comes back from inspect, with the counters of every layer', async () => {
  const model = trained('cumulative');
  const file = path.join(folder, 'inspect.safetensors');
  await model.save(file, { metadata: { rowsDone: '42', note: 'ünïcode' } });
  const info = await Autoencoder.inspect(file);
  expect(info.metadata).toEqual({ rowsDone: '42', note: 'ünïcode' });
  expect(info.config).toEqual(model.config);
  expect(info.layers).toEqual([
    { inputSize: 8, codeSize: 6, rows: 8, adamSteps: 14 },
    { inputSize: 6, codeSize: 4, rows: 8, adamSteps: 14 },
  ]);
  expect(() => model.toBuffer({ metadata: { rowsDone: 42 as never } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.metadata.rowsDone') }));
  // The metadata is covered by the checksum: changing it is detected.
  const buffer = model.toBuffer({ metadata: { rowsDone: '42' } });
  const at = buffer.indexOf('42');
  buffer[at] = '7'.charCodeAt(0);
  expect(() => Autoencoder.fromBuffer(buffer)).toThrow(expect.objectContaining({ code: 'ERR_INDEE_FORMAT', message: expect.stringMatching(/SHA-256/) }));
});

test('metadata that is not an object of strings is an argument error', () => {
  const model = trained('ema');
  for (const metadata of [null, 'run', ['a']])
    expect(() => model.toBuffer({ metadata: metadata as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringContaining('options.metadata must be an object of strings') }));
});

test('loadWithInfo gives the model of load and the info of inspect in one read', async () => {
  const model = trained('cumulative');
  const file = path.join(folder, 'with-info.safetensors');
  await model.save(file, { metadata: { note: 'x' } });
  const { model: loaded, info } = await Autoencoder.loadWithInfo(file);
  expectSameState(model, loaded);
  expect(info).toEqual(await Autoencoder.inspect(file));
});

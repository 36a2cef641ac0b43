/** Bad input gets a TypeError or RangeError naming the argument, the expected and the actual value; nothing crashes. */
import { Autoencoder, oneHot } from '../lib';

const base = { inputSize: 4, labelSize: 2, layers: [3] };
const model = new Autoencoder(base);
const x = new Float32Array(8);

type Case = [string, () => unknown, ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor, RegExp];

const cases: Case[] = [
  ['no options', () => new Autoencoder(undefined as never), RangeError, /options must be an object/],
  ['options not an object', () => new Autoencoder(3 as never), TypeError, /options must be an object; got 3/],
  ['misspelt option', () => new Autoencoder({ ...base, layer: [3] } as never), RangeError, /options\.layer must be absent \(known options: .*\); got an array/],
  ['inputSize a string', () => new Autoencoder({ ...base, inputSize: '4' as never }), TypeError, /options\.inputSize must be an integer in \[1, 1048576\]; got '4'/],
  ['inputSize fractional', () => new Autoencoder({ ...base, inputSize: 4.5 }), RangeError, /options\.inputSize .*got 4\.5/],
  ['inputSize zero', () => new Autoencoder({ ...base, inputSize: 0 }), RangeError, /options\.inputSize .*got 0/],
  ['labelSize negative', () => new Autoencoder({ ...base, labelSize: -1 }), RangeError, /options\.labelSize .*got -1/],
  ['layers missing', () => new Autoencoder({ inputSize: 4, labelSize: 2 } as never), TypeError, /options\.layers must be an array/],
  ['layers empty', () => new Autoencoder({ ...base, layers: [] }), RangeError, /options\.layers must be a non-empty array/],
  ['layer size NaN', () => new Autoencoder({ ...base, layers: [3, NaN] }), RangeError, /options\.layers\[1\] .*got NaN/],
  ['layer size Infinity', () => new Autoencoder({ ...base, layers: [Infinity] }), RangeError, /options\.layers\[0\] .*got Infinity/],
  ['impossible size', () => new Autoencoder({ inputSize: 1_000_000, labelSize: 0, layers: [10] }), RangeError, /memory/],
  ['mirrored size over the limit', () => new Autoencoder({ inputSize: 23_171, labelSize: 0, layers: [1] }), RangeError, /mirrored size 2n must be at most 46340/],
  ['rate zero', () => new Autoencoder({ ...base, rate: 0 }), RangeError, /options\.rate must be a number in \(0, .*got 0/],
  ['rate NaN', () => new Autoencoder({ ...base, rate: NaN }), RangeError, /options\.rate .*got NaN/],
  ['unknown statistics', () => new Autoencoder({ ...base, statistics: 'mean' as never }), RangeError, /options\.statistics must be one of 'ema', 'cumulative'; got 'mean'/],
  ['unknown solver', () => new Autoencoder({ ...base, solver: 'sgd' as never }), RangeError, /options\.solver must be one of 'adam', 'subspace', 'eig'; got 'sgd'/],
  ['unknown device', () => new Autoencoder({ ...base, device: 'gpu' as never }), RangeError, /options\.device must be one of 'cpu', 'cuda'; got 'gpu'/],
  ['negative seed', () => new Autoencoder({ ...base, seed: -1 }), RangeError, /options\.seed .*got -1/],
  ['x a plain array', () => model.collect([1, 2, 3, 4] as never), TypeError, /x must be a Float32Array of rows of 4 values \(inputSize\); got an array of length 4/],
  ['x a Float64Array', () => model.collect(new Float64Array(4) as never), TypeError, /x must be a Float32Array.*got Float64Array\(4\)/],
  ['x of ragged length', () => model.collect(new Float32Array(6)), RangeError, /x\.length must be a positive multiple of 4 \(inputSize\); got 6/],
  ['x empty', () => model.collect(new Float32Array(0)), RangeError, /x\.length .*got 0/],
  ['x with NaN', () => model.collect(new Float32Array([0, 0, 0, 0, 0, NaN, 0, 0])), RangeError, /x\[5\] must be a finite number, got nan/],
  ['x with Infinity', () => model.infer(new Float32Array([0, Infinity, 0, 0])), RangeError, /x\[1\] must be a finite number, got inf/],
  ['y of the wrong row count', () => model.collect(x, oneHot([0], 2)), RangeError, /y\.length must be 4 \(2 rows of 2, labelSize\); got 2/],
  ['y with NaN', () => model.collect(x, new Float32Array([0, NaN, 0, 0])), RangeError, /y\[1\] must be a finite number/],
  ['alpha above 1', () => model.collect(x, null, { alpha: 2 }), RangeError, /options\.alpha must be a number in \[0, 1\]; got 2/],
  ['alpha a string', () => model.collect(x, null, { alpha: '0.1' as never }), TypeError, /options\.alpha .*got '0\.1'/],
  ['unknown batch semantics', () => model.collect(x, null, { batch: 'mean' as never }), RangeError, /options\.batch must be one of 'sequential', 'sum'; got 'mean'/],
  ['misspelt collect option', () => model.collect(x, null, { alfa: 0.1 } as never), RangeError, /options\.alfa must be absent/],
  ['steps negative', () => model.learn({ steps: -1 }), RangeError, /options\.steps must be an integer in \[0, 100000000\]; got -1/],
  ['steps fractional', () => model.infer(x, { steps: 1.5 }), RangeError, /options\.steps .*got 1\.5/],
  ['steps too many', () => model.learn({ steps: 1e12 }), RangeError, /options\.steps .*got 1000000000000/],
  ['codes of the wrong width', () => model.decode(new Float32Array(4)), RangeError, /codes\.length must be a positive multiple of 3 \(top code size\); got 4/],
  ['completion codes of the wrong row count', () => model.completionGradient(x, new Float32Array(3)), RangeError, /codes\.length must be 6/],
  ['layer index out of range', () => model.layer(1), RangeError, /index must be an integer in \[0, 0\]; got 1/],
  ['objective layer not a number', () => model.objectiveGradient('0' as never), TypeError, /layer must be an integer/],
  ['infer without labels', () => new Autoencoder({ inputSize: 4, labelSize: 0, layers: [2] }).infer(x), RangeError, /labelSize must be at least 1 to infer labels/],
  ['oneHot label out of range', () => oneHot([0, 3], 3), RangeError, /labels\[1\] must be an integer in \[0, 2\]; got 3/],
];

test.each(cases)('%s', (_name, call, type, message) => {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  // By name: errors made by the addon belong to Node's main realm, not to jest's sandbox.
  expect((thrown as Error).name).toBe(type.name);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as { code?: string }).code).toBe(type === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE');
});

test('async methods reject (never throw synchronously) with the same errors', async () => {
  await expect(model.collectAsync(new Float32Array(3))).rejects.toThrow(/x\.length must be a positive multiple of 4/);
  await expect(model.inferAsync(new Float32Array([NaN, 0, 0, 0]))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  await expect(model.learnAsync({ steps: -1 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
});

test('the native backstop rejects malformed calls that bypass the TypeScript checks', () => {
  const { binding } = jest.requireActual('../lib/binding') as typeof import('../lib/binding');
  const { NativeModel } = binding();
  expect(() => new NativeModel({} as never)).toThrow(/inputSize must be a number/);
  const config = { inputSize: 4, labelSize: 2, layers: [3], rate: 0.01, statistics: 'ema', solver: 'adam', seed: 1, initScale: 0.0005, upperStatistics: 'collected', replaySamples: 1, device: 'cpu' };
  expect(() => new NativeModel({ ...config, device: 'gpu' })).toThrow(/device must be one of 'cpu', 'cuda', got 'gpu'/);
  expect(() => new NativeModel({ ...config, upperStatistics: 'sampled' })).toThrow(/upperStatistics must be one of 'collected', 'replay', 'moments', got 'sampled'/);
  expect(() => new NativeModel({ ...config, replaySamples: 0 })).toThrow(/replaySamples must be an integer in \[1, /);
  const native = new NativeModel(config);
  expect(() => native.collect(new Float64Array(4) as never, null, 0.1, 'sequential')).toThrow(/x must be a Float32Array/);
  expect(() => native.collect(new Float32Array(5), null, 0.1, 'sequential')).toThrow(/x must hold a positive whole number of rows of 4 values, got length 5/);
  expect(() => native.collect(new Float32Array(4), null, 5, 'sequential')).toThrow(/alpha must be in \[0, 1\]/);
  expect(() => native.learn(-3)).toThrow(/steps must be an integer in \[0, 100000000\], got -3/);
  expect(() => native.layerState(7)).toThrow(/layer must be an integer in \[0, 0\], got 7/);
  expect(() => (native.infer as (...a: unknown[]) => unknown)()).toThrow(/x must be a Float32Array/);
  expect(() => native.restoreLayer(0, {} as never)).toThrow(/state\.adam must be an object/);
  const state = native.layerState(0);
  expect(() => native.restoreLayer(0, { ...state, W: new Float32Array(3) })).toThrow(/state\.W must have length 36 \(12 rows of 3\), got 3/);
  expect(() => native.restoreLayer(0, { ...state, decaySinceFlush: 2 })).toThrow(/layer 0: decay must be in \(0, 1\]/);
  const classes = { weight: new Float64Array(3), mean: [null, null, null], covariance: [null, null, null] };
  expect(() => native.restoreClassMoments(classes)).toThrow(/class moments belong to a model with upperStatistics 'replay'/);
  const replaying = new NativeModel({ ...config, upperStatistics: 'replay' });
  expect(() => replaying.restoreClassMoments({ ...classes, weight: new Float32Array(3) as never })).toThrow(/classes\.weight must be a Float64Array/);
  expect(() => replaying.restoreClassMoments({ ...classes, weight: new Float64Array(2) })).toThrow(/classes\.weight must have length 3, got 2/);
  expect(() => replaying.restoreClassMoments({ ...classes, mean: [null] })).toThrow(/classes\.mean must be an array of 3 entries/);
  expect(() => replaying.restoreClassMoments({ ...classes, weight: new Float64Array([1, 0, 0]) })).toThrow(/class 0: a class with weight > 0 needs a mean and a covariance/);
  expect(() => replaying.restoreClassMoments({ ...classes, mean: [new Float32Array(3), null, null] })).toThrow(/classes\.mean\[0\] must have length 12/);
});

test('collect refuses values whose products would overflow the float32 statistics', () => {
  // |z| ≤ 2·1e18 keeps every product below float32's 3.4e38: C stays finite and the checkpoint loads.
  const m = new Autoencoder({ inputSize: 1, labelSize: 0, layers: [1] });
  expect(() => m.collect(Float32Array.of(1e30))).toThrow(expect.objectContaining({ name: 'RangeError', message: expect.stringMatching(/at most 1e18 in magnitude.*got 1e\+30 in row 0/) }));
  expect(m.layer(0).N).toBe(0);
  m.collect(Float32Array.of(1e18));
  expect(Number.isFinite(m.layer(0).C[0])).toBe(true);
  expect(Autoencoder.fromBuffer(m.toBuffer()).layer(0).N).toBe(1);
});

test('a disposed model says so', async () => {
  const m = new Autoencoder(base);
  m.dispose();
  expect(m.disposed).toBe(true);
  expect(() => m.learn()).toThrow(expect.objectContaining({ code: 'ERR_INDEE_DISPOSED' }));
  await expect(m.inferAsync(new Float32Array(4))).rejects.toMatchObject({ code: 'ERR_INDEE_DISPOSED' });
  m.dispose(); // twice is harmless
});

describe('loading the native binary', () => {
  const { spawnSync } = jest.requireActual('node:child_process') as typeof import('node:child_process');
  const dist = require('node:path').join(__dirname, '..', 'dist');
  const attempt = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(dist)}).threads(); console.log('loaded') } catch (e) { console.log(e.code + '\\n' + e.message) }`], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    }).stdout;

  test('a binary that does not load is an ERR_INDEE_BINARY error saying what was tried and what to do', () => {
    const out = attempt({ INDEEPENDENCE_BINARY: '/nonexistent/indeependence.node' });
    expect(out).toMatch(/^ERR_INDEE_BINARY\n/);
    expect(out).toMatch(/Tried: the file named by INDEEPENDENCE_BINARY \(\/nonexistent\/indeependence\.node\)/);
    expect(out).toMatch(/To fix: prebuilt binaries exist for linux-x64.*apt-get install cmake g\+\+ libopenblas-dev/);
  });

  test('INDEEPENDENCE_THREADS sets the BLAS threads, and a bad value is a clear error', () => {
    expect(attempt({ INDEEPENDENCE_THREADS: '1' })).toBe('loaded\n');
    expect(attempt({ INDEEPENDENCE_THREADS: 'many' })).toMatch(/^ERR_OUT_OF_RANGE\nthe environment variable INDEEPENDENCE_THREADS must be an integer in \[1, 1024\]; got 'many'/);
  });
});

test('setThreads/threads set and read the process-wide BLAS thread count', () => {
  const { setThreads, threads } = jest.requireActual('../lib') as typeof import('../lib');
  const before = threads();
  setThreads(1);
  expect(threads()).toBe(1);
  setThreads(before);
  expect(threads()).toBe(before);
  expect(() => setThreads(0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', message: expect.stringMatching(/count must be an integer in \[1, 1024\]; got 0/) }));
  expect(() => setThreads('2' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
});

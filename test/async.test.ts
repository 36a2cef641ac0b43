/** Async twins: off the event loop, serialised per model in call order, equal to the sync results. */
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';

import { Autoencoder, oneHot } from '../lib';
import * as ref from './reference';

const options = { inputSize: 784, labelSize: 10, layers: [400, 250, 150], seed: 5 };
const x = ref.randomArray(64 * 784, 1);
const y = oneHot(Array.from({ length: 64 }, (_, r) => r % 10), 10);

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

test('the event loop keeps running during a long learnAsync', async () => {
  const model = new Autoencoder(options);
  model.collect(x, y);
  let ticks = 0;
  const timer = setInterval(() => ++ticks, 5);
  const started = Date.now();
  await model.learnAsync({ steps: 30 }); // ~30 C·W products of a 1588² matrix: hundreds of ms
  const elapsed = Date.now() - started;
  clearInterval(timer);
  // A blocked loop would fire no timer until the call returned.
  expect(elapsed).toBeGreaterThan(50);
  expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 4));
});

/** Equal bit for bit: typed arrays by their bytes (NaN payloads and -0 included), objects key by key. */
function expectSameBits(actual: unknown, expected: unknown, where: string): void {
  if (ArrayBuffer.isView(expected)) {
    if (!ArrayBuffer.isView(actual) || actual.constructor !== expected.constructor || !sameBits(actual, expected))
      throw new Error(`${where}: ${actual?.constructor.name} differs from the sequential ${expected.constructor.name}`);
  } else if (typeof expected === 'object' && expected !== null) {
    expect(Object.keys(actual as object).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectSameBits((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
  } else expect(actual).toBe(expected);
}

test('100 concurrent async calls of mixed kinds on one model give exactly the sequential result', async () => {
  // Full-width inputs (C of the bottom layer is 1588²), narrow codes: a few seconds for 200 calls.
  const small = { ...options, layers: [64, 32, 16] };
  const sync = new Autoencoder(small), parallel = new Autoencoder(small);
  const batchOf = (i: number) => ({
    x: ref.randomArray(8 * 784, 100 + i),
    y: oneHot(Array.from({ length: 8 }, (_, r) => (r * 3 + i) % 10), 10),
  });
  const codes = ref.randomArray(8 * 16, 7, -0.5, 0.5);
  // Each call as its sync and async form; the mutating ones (collect, learn) between the others so
  // that every read sees a different state, which only running in call order reproduces.
  const kinds: ((m: Autoencoder, i: number, async: boolean) => unknown)[] = [
    (m, i, a) => (a ? m.collectAsync(batchOf(i).x, batchOf(i).y, { alpha: 0.05 }) : m.collect(batchOf(i).x, batchOf(i).y, { alpha: 0.05 })),
    (m, i, a) => (a ? m.encodeAsync(batchOf(i).x) : m.encode(batchOf(i).x)),
    (m, _, a) => (a ? m.learnAsync({ steps: 1 }) : m.learn({ steps: 1 })),
    (m, i, a) => (a ? m.inferAsync(batchOf(i).x, { steps: 2 }) : m.infer(batchOf(i).x, { steps: 2 })),
    (m, i, a) => (a ? m.collectAsync(batchOf(i).x, null, { alpha: 0.02, batch: 'sum' }) : m.collect(batchOf(i).x, null, { alpha: 0.02, batch: 'sum' })),
    (m, _, a) => (a ? m.decodeAsync(codes) : m.decode(codes)),
    (m, _, a) => (a ? m.objectivesAsync() : m.objectives()),
    (m, i, a) => (a ? m.objectiveGradientAsync(i % 3) : m.objectiveGradient(i % 3)),
    (m, i, a) => (a ? m.completionGradientAsync(batchOf(i).x, codes) : m.completionGradient(batchOf(i).x, codes)),
    (m, i, a) => (a ? m.classifyAsync(batchOf(i).x, { steps: 1 }) : m.classify(batchOf(i).x, { steps: 1 })),
  ];
  const CALLS = 100;
  const expected = Array.from({ length: CALLS }, (_, i) => kinds[i % kinds.length](sync, i, false));
  const calls = Array.from({ length: CALLS }, (_, i) => kinds[i % kinds.length](parallel, i, true) as Promise<unknown>);
  expect(parallel.pending).toBe(CALLS);
  const results = await Promise.all(calls);
  expect(parallel.pending).toBe(0);

  results.forEach((result, i) => expectSameBits(result, expected[i], `call ${i}`));
  for (let l = 0; l < 3; ++l) expectSameBits(parallel.layer(l), sync.layer(l), `layer ${l}`);
});

test('every Async twin gives the result of its sync method', async () => {
  const model = new Autoencoder({ ...options, layers: [40, 20] });
  model.collect(x, y, { alpha: 0.1 });
  await model.learnAsync({ steps: 2 });
  const codes = model.encode(x.subarray(0, 4 * 784));
  const pairs: [unknown, unknown][] = [
    [model.objectives(), await model.objectivesAsync()],
    [model.objectiveGradient(1), await model.objectiveGradientAsync(1)],
    [model.completionGradient(x.subarray(0, 4 * 784), codes), await model.completionGradientAsync(x.subarray(0, 4 * 784), codes)],
    [model.encode(x, y), await model.encodeAsync(x, y)],
    [model.decode(codes), await model.decodeAsync(codes)],
    [model.infer(x, { steps: 3 }), await model.inferAsync(x, { steps: 3 })],
    [model.classify(x, { steps: 3 }), await model.classifyAsync(x, { steps: 3 })],
  ];
  for (const [sync, async] of pairs) expect(async).toEqual(sync);
});

test('inputs are copied at the call: changing them afterwards changes nothing', async () => {
  const a = new Autoencoder(options), b = new Autoencoder(options);
  const mutable = x.slice();
  const pending = a.collectAsync(mutable, y);
  mutable.fill(7);
  await pending;
  b.collect(x, y);
  expect(sameBits(a.layer(0).C, b.layer(0).C)).toBe(true);
});

test('a synchronous call while async work is pending fails with ERR_INDEE_BUSY instead of racing', async () => {
  const model = new Autoencoder(options);
  const pending = model.learnAsync({ steps: 2 });
  expect(() => model.collect(x, y)).toThrow(expect.objectContaining({ code: 'ERR_INDEE_BUSY' }));
  await pending;
  expect(() => model.collect(x, y)).not.toThrow();
});

test('dispose during async work lets started work finish, then frees the model', async () => {
  const model = new Autoencoder(options);
  const pending = model.learnAsync({ steps: 2 });
  model.dispose();
  await expect(pending).resolves.toHaveLength(3);
  expect(() => model.objectives()).toThrow(expect.objectContaining({ code: 'ERR_INDEE_DISPOSED' }));
});

test('models work in worker threads, several at once, with the results of the main thread', async () => {
  const script = path.join(__dirname, 'fixtures', 'worker.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { job } = require('./fixtures/worker-job.js') as { job(api: unknown, seed: number): Promise<Record<string, number[]>> };
  const run = (seed: number) =>
    new Promise<Record<string, number[]>>((resolve, reject) => {
      const worker = new Worker(script, { workerData: { seed } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const seeds = [1, 2, 1, 3, 2];
  const results = await Promise.all(seeds.map(run));
  // The same job in this thread, through lib/ rather than dist/: the same numbers, bit for bit
  // (structured clone keeps every double, and the job reports float32 values as doubles).
  const main = new Map<number, Record<string, number[]>>();
  for (const seed of new Set(seeds)) main.set(seed, await job(await import('../lib'), seed));
  seeds.forEach((seed, i) => expect(results[i]).toEqual(main.get(seed)));
  expect(results[0]).not.toEqual(results[1]);
  for (const r of results) expect(r.objectives).toHaveLength(2);
});

test('terminating a worker thread with async work pending ends the worker, not the process', () => {
  // In a child process: the bug this guards against (an exception out of the completion callback
  // while the worker is torn down) aborted the whole process, which here would be jest.
  const child = spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'terminate.js')], { encoding: 'utf8', timeout: 60000 });
  expect({ status: child.status, signal: child.signal, stdout: child.stdout.trim(), stderr: child.stderr }).toEqual({
    status: 0,
    signal: null,
    stdout: 'terminated 1',
    stderr: '',
  });
});

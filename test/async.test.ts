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

test('concurrent async calls on one model give exactly the sequential result', async () => {
  const sync = new Autoencoder(options), parallel = new Autoencoder(options);
  const x2 = ref.randomArray(16 * 784, 2), y2 = oneHot(Array.from({ length: 16 }, (_, r) => (r * 3) % 10), 10);

  sync.collect(x, y, { alpha: 0.05 });
  const learned = sync.learn({ steps: 3 });
  sync.collect(x2, y2, { alpha: 0.05 });
  const inferred = sync.infer(x2, { steps: 5 });

  const calls = [
    parallel.collectAsync(x, y, { alpha: 0.05 }),
    parallel.learnAsync({ steps: 3 }),
    parallel.collectAsync(x2, y2, { alpha: 0.05 }),
    parallel.inferAsync(x2, { steps: 5 }),
  ] as const;
  expect(parallel.pending).toBe(4);
  const [, learnedAsync, , inferredAsync] = await Promise.all(calls);
  expect(parallel.pending).toBe(0);

  expect(sameBits(learnedAsync, learned)).toBe(true);
  expect(sameBits(inferredAsync.scores, inferred.scores)).toBe(true);
  for (let l = 0; l < 3; ++l) {
    expect(sameBits(parallel.layer(l).W, sync.layer(l).W)).toBe(true);
    expect(sameBits(parallel.layer(l).C, sync.layer(l).C)).toBe(true);
  }
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

test('models work in worker threads, several at once', async () => {
  const script = path.join(__dirname, 'fixtures', 'worker.js');
  const run = (seed: number) =>
    new Promise<number[]>((resolve, reject) => {
      const worker = new Worker(script, { workerData: { seed } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
  const results = await Promise.all([run(1), run(2), run(1)]);
  // Each worker returns its final objectives; the same seed gives the same numbers in any thread.
  expect(results[0]).toEqual(results[2]);
  expect(results[0]).not.toEqual(results[1]);
  for (const r of results) expect(r).toHaveLength(2);
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

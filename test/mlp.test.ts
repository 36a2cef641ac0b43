/** The MLP baselines (fine-tuning, EWC) of the continual-learning evaluation, and their native network. */
import { Dataset } from '../lib/data';
import { MlpMethod, mlpNative } from '../lib/continual/methods/mlp';
import type { Task, TaskBatch } from '../lib/continual/types';
import { random } from './reference';

/**
 * Three separable blobs in 2-D: blob c centred at radius 3, angle 2πc/3, spread uniformly in a
 * square of half-width 1; blob c is labelled relabel[c] (a second task permutes the labels).
 */
function blobs(rows: number, seed: number, relabel: readonly number[] = [0, 1, 2]): Dataset {
  const next = random(seed);
  const x = new Float32Array(rows * 2);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; ++r) {
    const c = Math.floor(next() * 3);
    const angle = (2 * Math.PI * c) / 3;
    x[2 * r] = 3 * Math.cos(angle) + (2 * next() - 1);
    x[2 * r + 1] = 3 * Math.sin(angle) + (2 * next() - 1);
    labels[r] = relabel[c];
  }
  return new Dataset({ x, inputSize: 2, labels, classes: 3 });
}

function task(index: number, train: Dataset, test: Dataset): Task {
  return { index, name: `toy ${index}`, classes: [0, 1, 2], train, test };
}

/** The task's training rows as the harness hands them: `size` rows at a time. */
async function* stream(t: Task, size: number): AsyncGenerator<TaskBatch> {
  for (const b of t.train.batches({ size })) yield { x: b.x, y: b.y as Float32Array, labels: b.labels as Int32Array, rows: b.rows };
}

function argmax(scores: Float32Array, rows: number, k: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; ++r) for (let j = 1; j < k; ++j) if (scores[r * k + j] > scores[r * k + out[r]]) out[r] = j;
  return out;
}

async function accuracy(method: MlpMethod, data: Dataset): Promise<number> {
  const predicted = argmax(await method.scores(data.x, data.rows), data.rows, 3);
  let right = 0;
  for (let r = 0; r < data.rows; ++r) right += predicted[r] === data.labels![r] ? 1 : 0;
  return right / data.rows;
}

function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

const shape = { inputSize: 2, outputs: 3 };
const toy = { hidden: [32], rate: 0.01, batch: 16, seed: 3 };

describe('MlpMethod', () => {
  test('learns a toy 3-class problem in one pass and classifies it; predictions come before learning', async () => {
    const t = task(0, blobs(1200, 1), blobs(400, 2));
    const method = new MlpMethod(shape, toy);
    const fresh = new MlpMethod(shape, toy);
    expect(method.name).toBe('fine-tuning');
    expect(method.settings).toContain('MLP 2-32-3');
    const predictions: { batch: TaskBatch; predicted: Int32Array }[] = [];
    await method.learnTask(t, stream(t, 16), (batch, predicted) => predictions.push({ batch, predicted }));
    expect(predictions).toHaveLength(75);
    expect(method.steps).toBe(75);
    for (const { batch, predicted } of predictions) expect(predicted).toHaveLength(batch.rows);
    // The first batch was predicted by the untrained network.
    const first = predictions[0].batch;
    expect(Array.from(predictions[0].predicted)).toEqual(Array.from(argmax(await fresh.scores(first.x, first.rows), first.rows, 3)));
    // Prequential error falls: the last quarter of the stream is predicted better than the first batch.
    const late = predictions.slice(-18);
    const lateRight = late.reduce((s, { batch, predicted }) => s + predicted.filter((p, r) => p === batch.labels[r]).length, 0);
    expect(lateRight / late.reduce((s, p) => s + p.batch.rows, 0)).toBeGreaterThan(0.9);
    expect(await accuracy(method, t.test)).toBeGreaterThan(0.9);
    method.dispose();
    fresh.dispose();
  });

  test('the steps of `batch` rows do not depend on how the harness batches the stream', async () => {
    const t = task(0, blobs(200, 5), blobs(50, 6));
    const whole = new MlpMethod(shape, toy); // harness batches of 16: each one step, predicted by that step's own pass
    const halves = new MlpMethod(shape, toy); // harness batches of 8: predicted separately, learned two at a time
    const odd = new MlpMethod(shape, toy); // harness batches of 7: steps span batches
    const p16: Int32Array[] = [], p8: Int32Array[] = [], p7: Int32Array[] = [];
    await whole.learnTask(t, stream(t, 16), (_, p) => p16.push(p));
    await halves.learnTask(t, stream(t, 8), (_, p) => p8.push(p));
    await odd.learnTask(t, stream(t, 7), (_, p) => p7.push(p));
    expect(whole.steps).toBe(13); // 12 full steps and the 8 rows left over
    expect(halves.steps).toBe(13);
    expect(odd.steps).toBe(13);
    const join = (parts: Int32Array[]) => Int32Array.from(parts.flatMap((p) => Array.from(p)));
    // Batches of 8 never straddle a step: every row is predicted at the weights of the 16-row case.
    expect(Array.from(join(p8))).toEqual(Array.from(join(p16)));
    // Batches of 7 do (each is predicted whole before any of its rows is learned): only the count agrees.
    expect(join(p7)).toHaveLength(200);
    const s16 = await whole.scores(t.test.x, t.test.rows);
    expect(sameBits(await halves.scores(t.test.x, t.test.rows), s16)).toBe(true);
    expect(sameBits(await odd.scores(t.test.x, t.test.rows), s16)).toBe(true);
    for (const m of [whole, halves, odd]) m.dispose();
  });

  test('fine-tuning on a conflicting second task forgets the first; EWC with a large λ keeps more of it', async () => {
    // Task B relabels task A's blobs: learning B as such must overwrite A.
    const a = task(0, blobs(1200, 1), blobs(400, 2));
    const b = task(1, blobs(1200, 3, [1, 2, 0]), blobs(400, 4, [1, 2, 0]));
    const run = async (ewcLambda: number) => {
      const method = new MlpMethod(shape, { ...toy, ewcLambda });
      await method.learnTask(a, stream(a, 16));
      const before = await accuracy(method, a.test);
      await method.learnTask(b, stream(b, 16));
      const result = { name: method.name, before, after: await accuracy(method, a.test), second: await accuracy(method, b.test) };
      method.dispose();
      return result;
    };
    const fineTuning = await run(0);
    // On a problem learned to near certainty, p(y|x) → 1, so the empirical Fisher (built from the
    // per-row gradients, which carry p − y) is tiny, ~1e-8 per weight here: λ must be as large to matter.
    const ewc = await run(1e10);
    expect(ewc.name).toBe('EWC (λ=10000000000)');
    expect(fineTuning.before).toBeGreaterThan(0.9);
    expect(ewc.before).toBeGreaterThan(0.9);
    expect(fineTuning.second).toBeGreaterThan(0.9); // it learned B ...
    expect(fineTuning.after).toBeLessThan(0.5); // ... and forgot A
    expect(ewc.after).toBeGreaterThan(fineTuning.after + 0.3);
  });

  test('more epochs pass over task.train again', async () => {
    const t = task(0, blobs(64, 7), blobs(10, 8));
    const method = new MlpMethod(shape, { ...toy, epochs: 3 });
    await method.learnTask(t, stream(t, 16));
    expect(method.steps).toBe(12);
    expect(method.settings).toContain('3 epochs');
    method.dispose();
  });

  test('bad options give TypeError / RangeError with codes', () => {
    const bad: [unknown, unknown, string][] = [
      [null, undefined, 'ERR_INVALID_ARG_TYPE'],
      [{ inputSize: 0, outputs: 3 }, undefined, 'ERR_OUT_OF_RANGE'],
      [{ inputSize: 2, outputs: '3' }, undefined, 'ERR_INVALID_ARG_TYPE'],
      [shape, 'fast', 'ERR_INVALID_ARG_TYPE'],
      [shape, { hidden: 40 }, 'ERR_INVALID_ARG_TYPE'],
      [shape, { hidden: [40, 0] }, 'ERR_OUT_OF_RANGE'],
      [shape, { hidden: [2.5] }, 'ERR_OUT_OF_RANGE'],
      [shape, { rate: 0 }, 'ERR_OUT_OF_RANGE'],
      [shape, { rate: '0.1' }, 'ERR_INVALID_ARG_TYPE'],
      [shape, { batch: 0 }, 'ERR_OUT_OF_RANGE'],
      [shape, { epochs: 1.5 }, 'ERR_OUT_OF_RANGE'],
      [shape, { ewcLambda: -1 }, 'ERR_OUT_OF_RANGE'],
      [shape, { ewcLambda: NaN }, 'ERR_OUT_OF_RANGE'],
      [shape, { seed: -1 }, 'ERR_OUT_OF_RANGE'],
      [shape, { name: '' }, 'ERR_INVALID_ARG_TYPE'],
      [shape, { lambda: 1 }, 'ERR_OUT_OF_RANGE'],
    ];
    for (const [s, o, code] of bad) {
      let caught: unknown;
      try {
        new MlpMethod(s as typeof shape, o as object);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(code === 'ERR_INVALID_ARG_TYPE' ? TypeError : RangeError);
      expect(caught).toHaveProperty('code', code);
    }
    expect(new MlpMethod(shape, { ewcLambda: 0.5, name: 'joint' }).name).toBe('joint');
  });

  test('bad inputs give TypeError / RangeError with codes', async () => {
    const method = new MlpMethod(shape, toy);
    const t = task(0, blobs(32, 1), blobs(8, 2));
    await expect(method.scores(new Float64Array(4) as unknown as Float32Array, 2)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await expect(method.scores(new Float32Array(5), 2)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    const one = (b: Partial<TaskBatch>) =>
      (async function* () {
        yield { x: new Float32Array(4), y: new Float32Array(6), labels: new Int32Array(2), rows: 2, ...b } as TaskBatch;
      })();
    await expect(method.learnTask(t, one({ x: new Float32Array(3) }))).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await expect(method.learnTask(t, one({ labels: new Float32Array(2) as unknown as Int32Array }))).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await expect(method.learnTask(t, one({ labels: Int32Array.of(0, 3) }))).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await expect(method.learnTask(t, one({ x: Float32Array.of(0, 1, NaN, 2) }))).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    await expect(method.learnTask(t, [] as unknown as AsyncIterable<TaskBatch>)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const ewc = new MlpMethod(shape, { ...toy, ewcLambda: 1 });
    const unlabelled = { ...t, train: new Dataset({ x: t.train.x, inputSize: 2 }) };
    await expect(ewc.learnTask(unlabelled, stream(t, 16))).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    ewc.dispose();
    method.dispose();
    await expect(method.scores(t.test.x, t.test.rows)).rejects.toMatchObject({ code: 'ERR_INDEE_DISPOSED' });
  });
});

describe('NativeMlp', () => {
  const NativeMlp = mlpNative();
  const sizes = [6, 10, 8, 4];
  const next = random(9);
  const x = Float32Array.from({ length: 24 * 6 }, () => 2 * next() - 1);
  const labels = Int32Array.from({ length: 24 }, (_, r) => (r * 5) % 4);
  const x2 = Float32Array.from({ length: 10 * 6 }, () => 2 * next() - 1);
  const labels2 = Int32Array.from({ length: 10 }, (_, r) => (r * 3) % 4);

  test('async twins give exactly the sync results, in call order', async () => {
    const sync = new NativeMlp({ sizes, seed: 4, rate: 0.01 });
    const steps = [sync.trainBatch(x, labels), sync.trainBatch(x2, labels2)];
    sync.consolidate(x, labels, 50);
    steps.push(sync.trainBatch(x2, labels2), sync.trainBatch(x, labels));
    const logits = sync.logits(x2);

    const queued = new NativeMlp({ sizes, seed: 4, rate: 0.01 });
    const calls = [
      queued.trainBatchAsync(x, labels),
      queued.trainBatchAsync(x2, labels2),
      queued.consolidateAsync(x, labels, 50),
      queued.trainBatchAsync(x2, labels2),
      queued.trainBatchAsync(x, labels),
      queued.logitsAsync(x2),
    ] as const;
    expect(queued.pending()).toBe(6);
    expect(() => queued.logits(x)).toThrow(expect.objectContaining({ code: 'ERR_INDEE_BUSY' }));
    const [s0, s1, consolidated, s2, s3, logitsAsync] = await Promise.all(calls);
    expect(queued.pending()).toBe(0);
    expect(consolidated).toBeUndefined();
    [s0, s1, s2, s3].forEach((s, i) => {
      expect(s.loss).toBe(steps[i].loss);
      expect(s.predicted).toEqual(steps[i].predicted);
    });
    expect(logitsAsync).toHaveLength(10 * 4);
    expect(sameBits(logitsAsync, logits)).toBe(true);
    expect(sameBits(queued.logits(x), sync.logits(x))).toBe(true);
    sync.dispose();
    queued.dispose();
  });

  test('bad arguments, a diverging step and dispose give coded errors', async () => {
    const expectError = (f: () => unknown, name: string, code: string) => {
      let caught: unknown;
      try {
        f();
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ name, code });
    };
    expectError(() => new NativeMlp({ sizes: [6], seed: 1, rate: 0.01 }), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectError(() => new NativeMlp({ sizes: [6, 0], seed: 1, rate: 0.01 }), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectError(() => new NativeMlp({ sizes: [6, 4], seed: 1, rate: -1 }), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectError(() => new NativeMlp({ sizes: 6 as unknown as number[], seed: 1, rate: 0.1 }), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    const net = new NativeMlp({ sizes, seed: 1, rate: 0.01 });
    expectError(() => net.trainBatch(new Float64Array(6) as unknown as Float32Array, Int32Array.of(0)), 'TypeError', 'ERR_INVALID_ARG_TYPE');
    expectError(() => net.trainBatch(x, new Int32Array(3)), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectError(() => net.trainBatch(x.subarray(0, 6), Int32Array.of(4)), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectError(() => net.logits(Float32Array.of(1, 2, 3, 4, 5, Infinity)), 'RangeError', 'ERR_OUT_OF_RANGE');
    expectError(() => net.consolidate(x, labels, -1), 'RangeError', 'ERR_OUT_OF_RANGE');
    await expect(net.logitsAsync(new Float32Array(5))).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });

    // A rate of 1e30 throws the weights to ~1e30 in one step; the next loss overflows and that step is refused.
    const wild = new NativeMlp({ sizes, seed: 1, rate: 1e30 });
    wild.trainBatch(x, labels);
    const before = wild.logits(x2);
    expectError(() => wild.trainBatch(x, labels), 'Error', 'ERR_INDEE_NUMERICAL');
    await expect(wild.trainBatchAsync(x, labels)).rejects.toMatchObject({ code: 'ERR_INDEE_NUMERICAL' });
    expect(sameBits(wild.logits(x2), before)).toBe(true);
    wild.dispose();

    const pending = net.logitsAsync(x);
    net.dispose();
    expect(await pending).toHaveLength(24 * 4); // started before dispose: completes
    expectError(() => net.logits(x), 'Error', 'ERR_INDEE_DISPOSED');
    await expect(net.trainBatchAsync(x, labels)).rejects.toMatchObject({ code: 'ERR_INDEE_DISPOSED' });
  });
});


import { Dataset } from '../lib';
import {
  averageAccuracy,
  backwardTransfer,
  cholesky,
  choleskySolve,
  forwardTransfer,
  IndeependenceMethod,
  mnistScenario,
  permutedScenario,
  predict,
  prequentialSummary,
  runningError,
  runScenario,
  splitScenario,
  StreamingLdaMethod,
  taskPermutation,
  transferMetrics,
  type ContinualMethod,
  type Scenario,
  type ScenarioSource,
  type Task,
  type TaskBatch,
} from '../lib/continual';

// ---------------------------------------------------------------------------------------------
// Helpers

/** A seeded uniform generator in [0, 1) (an LCG: plenty for test data). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

/** A standard normal from a uniform generator (Box–Muller). */
function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const N_IN = 6;
const PER_DIGIT_TRAIN = 12;
const PER_DIGIT_TEST = 4;

/**
 * A small stand-in for MNIST: 10 digits, 12 training and 4 test rows each (label r % 10), 6 values per
 * row, every value distinct: x[r][i] = offset + r·6 + i + 1, so a row's smallest value names it even
 * after its values are permuted.
 */
function makeSource(): ScenarioSource {
  const part = (rows: number, offset: number) => {
    const x = Float32Array.from({ length: rows * N_IN }, (_, k) => offset + k + 1);
    const labels = Int32Array.from({ length: rows }, (_, r) => r % 10);
    return new Dataset({ x, inputSize: N_IN, labels, classes: 10 });
  };
  return { train: part(10 * PER_DIGIT_TRAIN, 0), test: part(10 * PER_DIGIT_TEST, 100000) };
}

/** The source row (in its part, train or test) each row of `d` was gathered from. */
function identities(d: Dataset, offset = 0): number[] {
  return Array.from({ length: d.rows }, (_, r) => (Math.min(...d.x.subarray(r * N_IN, (r + 1) * N_IN)) - offset - 1) / N_IN);
}

const sorted = (a: number[]) => [...a].sort((p, q) => p - q);

/** Source rows of `digits` in `part` (row order). */
function rowsWith(part: Dataset, digits: readonly number[]): number[] {
  return Array.from(part.labels as Int32Array)
    .map((label, r) => (digits.includes(label) ? r : -1))
    .filter((r) => r >= 0);
}

// ---------------------------------------------------------------------------------------------
describe('split scenarios', () => {
  const source = makeSource();

  test('class-incremental: five two-digit tasks, digit labels over 10 outputs, every row of the digits once, shuffled', () => {
    const s = splitScenario(source, 'class', { seed: 3 });
    expect(s.kind).toBe('class');
    expect(s.outputs).toBe(10);
    expect(s.inputSize).toBe(N_IN);
    expect(s.tasks.map((t) => t.name)).toEqual(['0/1', '2/3', '4/5', '6/7', '8/9']);
    s.tasks.forEach((task, i) => {
      const digits = [2 * i, 2 * i + 1];
      expect(task.index).toBe(i);
      expect(task.classes).toEqual(digits);
      expect(task.train.rows).toBe(2 * PER_DIGIT_TRAIN);
      expect(task.test.rows).toBe(2 * PER_DIGIT_TEST);
      expect(task.train.classes).toBe(10);
      const trainIds = identities(task.train);
      expect(sorted(trainIds)).toEqual(rowsWith(source.train, digits));
      expect(trainIds).not.toEqual(sorted(trainIds)); // shuffled
      expect(sorted(identities(task.test, 100000))).toEqual(rowsWith(source.test, digits));
      // Labels are the digits of the rows they came from.
      trainIds.forEach((id, r) => expect(task.train.labels![r]).toBe(id % 10));
    });
  });

  test('the order is fixed by the seed', () => {
    const a = splitScenario(source, 'class', { seed: 3 });
    const b = splitScenario(source, 'class', { seed: 3 });
    const c = splitScenario(source, 'class', { seed: 4 });
    expect(Array.from(a.tasks[2].train.x)).toEqual(Array.from(b.tasks[2].train.x));
    expect(identities(a.tasks[2].train)).not.toEqual(identities(c.tasks[2].train));
    expect(sorted(identities(a.tasks[2].train))).toEqual(sorted(identities(c.tasks[2].train)));
  });

  test('trainRows keeps the first rows of the same shuffled order', () => {
    const all = splitScenario(source, 'class', { seed: 5 });
    const capped = splitScenario(source, 'class', { seed: 5, trainRows: 10 });
    capped.tasks.forEach((task, i) => {
      expect(task.train.rows).toBe(10);
      expect(identities(task.train)).toEqual(identities(all.tasks[i].train).slice(0, 10));
      expect(task.test.rows).toBe(all.tasks[i].test.rows);
    });
  });

  test('task-incremental: digit labels, the task\'s two digits as its classes', () => {
    const s = splitScenario(source, 'task');
    expect(s.outputs).toBe(10);
    s.tasks.forEach((task, i) => {
      expect(task.classes).toEqual([2 * i, 2 * i + 1]);
      expect(new Set(task.test.labels)).toEqual(new Set([2 * i, 2 * i + 1]));
    });
  });

  test('domain-incremental: the label is the position in the pair (digit % 2), 2 outputs', () => {
    const s = splitScenario(source, 'domain');
    expect(s.outputs).toBe(2);
    s.tasks.forEach((task) => {
      expect(task.classes).toEqual([0, 1]);
      expect(task.train.classes).toBe(2);
      identities(task.train).forEach((id, r) => expect(task.train.labels![r]).toBe((id % 10) % 2));
      identities(task.test, 100000).forEach((id, r) => expect(task.test.labels![r]).toBe((id % 10) % 2));
      expect(Array.from(task.train.y().subarray(0, 2))).toEqual(task.train.labels![0] === 0 ? [1, 0] : [0, 1]);
    });
  });

  test('any task order; each task streams the same rows whatever its position', () => {
    const plain = splitScenario(source, 'class', { seed: 2 });
    const s = splitScenario(source, 'class', { seed: 2, order: [4, 2, 0, 1, 3] });
    expect(s.tasks.map((t) => t.name)).toEqual(['8/9', '4/5', '0/1', '2/3', '6/7']);
    expect(s.tasks.map((t) => t.index)).toEqual([0, 1, 2, 3, 4]);
    expect(identities(s.tasks[0].train)).toEqual(identities(plain.tasks[4].train));
  });

  test('the order is validated', () => {
    expect(() => splitScenario(source, 'class', { order: [0, 1, 2, 3] })).toThrow(RangeError);
    expect(() => splitScenario(source, 'class', { order: [0, 0, 1, 2, 3] })).toThrow(/permutation/);
    expect(() => splitScenario(source, 'class', { order: [0, 1, 2, 3, 5] })).toThrow(RangeError);
    expect(() => splitScenario(source, 'class', { order: [0, 1, 2, 3, 4.5] })).toThrow(RangeError);
    expect(() => splitScenario(source, 'class', { order: 'abc' as unknown as number[] })).toThrow(TypeError);
    expect(() => splitScenario(source, 'class', { trainRows: 0 })).toThrow(RangeError);
    expect(() => splitScenario(source, 'class', { seeds: 1 } as never)).toThrow(/seeds/);
    expect(() => splitScenario(source, 'permuted' as never)).toThrow(RangeError);
  });

  test('validation: the last rows of each task\'s pool are held out as its test rows, disjoint from its training rows', () => {
    const plain = splitScenario(source, 'class', { seed: 7 });
    const v = splitScenario(source, 'class', { seed: 7, validation: 3 });
    const vCapped = splitScenario(source, 'class', { seed: 7, validation: 3, trainRows: 10 });
    v.tasks.forEach((task, i) => {
      const train = identities(task.train);
      const held = identities(task.test); // held-out rows come from source.train (no offset)
      expect(task.train.rows).toBe(2 * PER_DIGIT_TRAIN - 3);
      expect(task.test.rows).toBe(3);
      expect(held.filter((id) => train.includes(id))).toEqual([]);
      expect(sorted([...train, ...held])).toEqual(rowsWith(source.train, task.classes));
      expect(train).toEqual(identities(plain.tasks[i].train).slice(0, train.length));
      expect(identities(vCapped.tasks[i].train)).toEqual(identities(plain.tasks[i].train).slice(0, 10));
      held.forEach((id, r) => expect(task.test.labels![r]).toBe(id % 10));
    });
    expect(() => splitScenario(source, 'class', { validation: 2 * PER_DIGIT_TRAIN })).toThrow(/fewer than/);
  });
});

describe('permuted scenarios', () => {
  const source = makeSource();

  test('taskPermutation: a permutation, fixed by the seed, different per task and per seed; identity for task 0', () => {
    const p = taskPermutation(784, 1, 1);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 784 }, (_, i) => i));
    expect(Array.from(taskPermutation(784, 1, 1))).toEqual(Array.from(p));
    expect(Array.from(taskPermutation(784, 2, 1))).not.toEqual(Array.from(p));
    expect(Array.from(taskPermutation(784, 1, 2))).not.toEqual(Array.from(p));
    expect(Array.from(taskPermutation(784, 1, 0))).toEqual(Array.from({ length: 784 }, (_, i) => i));
    expect(Array.from(taskPermutation(784, 1, 0, false))).not.toEqual(Array.from({ length: 784 }, (_, i) => i));
  });

  test('each task: every digit, its own shuffle, its pixels permuted', () => {
    const s = permutedScenario(source, { tasks: 4, seed: 9 });
    expect(s.kind).toBe('permuted');
    expect(s.outputs).toBe(10);
    expect(s.tasks.map((t) => t.name)).toEqual(['perm 0', 'perm 1', 'perm 2', 'perm 3']);
    s.tasks.forEach((task, t) => {
      expect(task.classes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(task.train.rows).toBe(source.train.rows);
      expect(task.test.rows).toBe(source.test.rows);
      const pixels = taskPermutation(N_IN, 9, t);
      for (const [part, src, offset] of [
        [task.train, source.train, 0],
        [task.test, source.test, 100000],
      ] as const) {
        identities(part, offset).forEach((id, r) => {
          for (let i = 0; i < N_IN; ++i) expect(part.x[r * N_IN + i]).toBe(src.x[id * N_IN + pixels[i]]);
          expect(part.labels![r]).toBe(src.labels![id]);
        });
      }
      expect(sorted(identities(task.train))).toEqual(Array.from({ length: source.train.rows }, (_, r) => r));
    });
    expect(Array.from(taskPermutation(N_IN, 9, 0))).toEqual([0, 1, 2, 3, 4, 5]); // task 0 saw the images as they are
    expect(identities(s.tasks[1].train)).not.toEqual(identities(s.tasks[2].train));
  });

  test('trainRows, order and validation (held-out rows shared by every task, trained on by none)', () => {
    const s = permutedScenario(source, { tasks: 3, seed: 4, trainRows: 20, validation: 7, order: [2, 0, 1] });
    expect(s.tasks.map((t) => t.name)).toEqual(['perm 2', 'perm 0', 'perm 1']);
    const held = sorted(identities(s.tasks[0].test));
    expect(held).toHaveLength(7);
    for (const task of s.tasks) {
      expect(task.train.rows).toBe(20);
      expect(sorted(identities(task.test))).toEqual(held);
      expect(identities(task.train).filter((id) => held.includes(id))).toEqual([]);
    }
    expect(() => permutedScenario(source, { tasks: 3, order: [0, 1] })).toThrow(RangeError);
    expect(() => permutedScenario(source, { tasks: 0 })).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
describe('metrics', () => {
  const R = [
    [0.9, 0.1, 0.2],
    [0.8, 0.95, 0.3],
    [0.7, 0.85, 0.99],
  ];
  const b = [0.1, 0.12, 0.25];

  test('ACC, BWT and FWT of a hand-made matrix', () => {
    expect(averageAccuracy(R)).toBeCloseTo((0.7 + 0.85 + 0.99) / 3, 14);
    expect(backwardTransfer(R)).toBeCloseTo((0.7 - 0.9 + (0.85 - 0.95)) / 2, 14); // −0.15
    expect(forwardTransfer(R, b)).toBeCloseTo((0.1 - 0.12 + (0.3 - 0.25)) / 2, 14); // 0.015
    expect(transferMetrics(R, b).bwt).toBeCloseTo(-0.15, 14);
    const one = transferMetrics([[0.5]], [0.1]);
    expect(one.acc).toBe(0.5);
    expect(one.bwt).toBeNaN();
    expect(one.fwt).toBeNaN();
  });

  test('bad matrices are errors', () => {
    expect(() => averageAccuracy([])).toThrow(RangeError);
    expect(() => averageAccuracy([[1, 0], [1]])).toThrow(RangeError);
    expect(() => averageAccuracy([[1.5]])).toThrow(RangeError);
    expect(() => averageAccuracy([[NaN]])).toThrow(RangeError);
    expect(() => forwardTransfer(R, [0.1])).toThrow(RangeError);
  });

  test('prequential error per task, overall, and the running error', () => {
    const curve = Float64Array.from([1, 0, 1, 1, 0, 0, NaN]);
    const s = prequentialSummary(curve, [2, 5]);
    expect(s.perTask).toEqual([0.5, 0.5]);
    expect(s.mean).toBeCloseTo(0.5, 15);
    expect(() => prequentialSummary(curve, [2, 4])).toThrow(RangeError);
    expect(Array.from(runningError(Float64Array.from([0, 1, NaN]), 0.5))).toEqual([0.5, 0.75, 0.75]);
  });
});

// ---------------------------------------------------------------------------------------------
/**
 * Nearest class mean: scores are minus the squared distance to each class's mean, −∞ for a class not
 * seen. `forget`: the means are reset at the start of every task.
 */
class NearestMean implements ContinualMethod {
  readonly name = 'NCM';
  readonly settings: string;
  readonly sums: Float64Array;
  readonly counts: Float64Array;
  readonly batchSizes: number[][] = [];
  readonly labelsSeen: number[][] = [];
  constructor(
    readonly inputSize: number,
    readonly outputs: number,
    readonly forget = false,
  ) {
    this.settings = forget ? 'forgets' : 'remembers';
    this.sums = new Float64Array(inputSize * outputs);
    this.counts = new Float64Array(outputs);
  }
  async learnTask(_task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void): Promise<void> {
    if (this.forget) {
      this.sums.fill(0);
      this.counts.fill(0);
    }
    const sizes: number[] = [];
    const labels: number[] = [];
    this.batchSizes.push(sizes);
    this.labelsSeen.push(labels);
    for await (const batch of batches) {
      sizes.push(batch.rows);
      labels.push(...batch.labels);
      expect(batch.y.length).toBe(batch.rows * this.outputs);
      onPredicted?.(batch, predict(this.scoresSync(batch.x, batch.rows), batch.rows, this.outputs));
      for (let r = 0; r < batch.rows; ++r) {
        const c = batch.labels[r];
        expect(batch.y[r * this.outputs + c]).toBe(1);
        this.counts[c] += 1;
        for (let i = 0; i < this.inputSize; ++i) this.sums[c * this.inputSize + i] += batch.x[r * this.inputSize + i];
      }
    }
  }
  scoresSync(x: Float32Array, rows: number): Float32Array {
    const out = new Float32Array(rows * this.outputs);
    for (let r = 0; r < rows; ++r)
      for (let c = 0; c < this.outputs; ++c) {
        if (this.counts[c] === 0) {
          out[r * this.outputs + c] = -Infinity;
          continue;
        }
        let d = 0;
        for (let i = 0; i < this.inputSize; ++i) d += (x[r * this.inputSize + i] - this.sums[c * this.inputSize + i] / this.counts[c]) ** 2;
        out[r * this.outputs + c] = -d;
      }
    return out;
  }
  async scores(x: Float32Array, rows: number): Promise<Float32Array> {
    return this.scoresSync(x, rows);
  }
  dispose(): void {}
}

/** Class c sits at (10c, 0). Task 0: classes 0/1; task 1: classes 2/3. */
function tinyScenario(kind: 'class' | 'task'): Scenario {
  const data = (labels: number[]) =>
    new Dataset({ x: Float32Array.from(labels.flatMap((c) => [10 * c, 0])), inputSize: 2, labels: Int32Array.from(labels), classes: 4 });
  const tasks: Task[] = [
    { index: 0, name: 'a', classes: [0, 1], train: data([0, 1, 0, 1]), test: data([0, 0, 0, 1]) },
    { index: 1, name: 'b', classes: [2, 3], train: data([2, 3, 2, 3]), test: data([2, 3, 3, 3]) },
  ];
  return { kind, inputSize: 2, outputs: 4, tasks };
}

describe('harness', () => {
  test('a method that remembers: exact R, baseline, metrics and prequential curve', async () => {
    const s = tinyScenario('class');
    const method = new NearestMean(2, 4);
    const phases: string[] = [];
    const result = await runScenario(s, method, { batch: 2, evalBatch: 3, onProgress: (p) => phases.push(p.phase) });
    expect(result.baseline).toEqual([0.75, 0]); // untrained: every score −∞, class 0 predicted
    expect(result.R).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(result.acc).toBe(1);
    expect(result.bwt).toBe(0);
    expect(result.fwt).toBe(0);
    // Batch 1 of task a: predicted 0, 0 against 0, 1; batch 2 right. Task b's first batch: predicted 1, 1 (nearest seen class).
    expect(Array.from(result.prequential.curve)).toEqual([0, 1, 0, 0, 1, 1, 0, 0]);
    expect(result.prequential.perTask).toEqual([0.25, 0.5]);
    expect(result.taskRows).toEqual([4, 4]);
    expect(result.tasks).toEqual(['a', 'b']);
    expect(result.timeSeconds).toBeGreaterThanOrEqual(result.trainSeconds);
    expect(method.batchSizes).toEqual([
      [2, 2],
      [2, 2],
    ]);
    expect(phases.filter((p) => p === 'baseline')).toHaveLength(1);
    expect(phases.filter((p) => p === 'train')).toHaveLength(4);
    expect(phases.filter((p) => p === 'evaluate')).toHaveLength(4);
  });

  test('a method that forgets, class-incremental: BWT −1', async () => {
    const result = await runScenario(tinyScenario('class'), new NearestMean(2, 4, true), { batch: 3 });
    expect(result.R).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(result.acc).toBe(0.5);
    expect(result.bwt).toBe(-1);
  });

  test('task-incremental predictions are masked to the task\'s classes', async () => {
    const result = await runScenario(tinyScenario('task'), new NearestMean(2, 4, true), { batch: 3 });
    // Masked to {0, 1} (or {2, 3}) with both −∞, the first class of the task is predicted.
    expect(result.baseline).toEqual([0.75, 0.25]);
    expect(result.R).toEqual([
      [1, 0.25],
      [0.75, 1],
    ]);
    expect(result.acc).toBe(0.875);
    expect(result.bwt).toBe(-0.25);
    expect(result.fwt).toBe(0);
  });

  test('batches cover each task once; a seed reshuffles the rows within each task', async () => {
    const s = tinyScenario('class');
    const plain = new NearestMean(2, 4);
    await runScenario(s, plain, { batch: 3 });
    expect(plain.batchSizes).toEqual([
      [3, 1],
      [3, 1],
    ]);
    expect(plain.labelsSeen).toEqual([
      [0, 1, 0, 1],
      [2, 3, 2, 3],
    ]);
    const shuffled = new NearestMean(2, 4);
    await runScenario(s, shuffled, { batch: 1, seed: 11 });
    expect(shuffled.labelsSeen.map(sorted)).toEqual([
      [0, 0, 1, 1],
      [2, 2, 3, 3],
    ]);
  });

  test('a method breaking the protocol is an error', async () => {
    class Foreign extends NearestMean {
      override async learnTask(_task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void) {
        for await (const batch of batches) onPredicted?.({ ...batch }, new Int32Array(batch.rows));
      }
    }
    await expect(runScenario(tinyScenario('class'), new Foreign(2, 4))).rejects.toThrow(/onPredicted/);
    class Twice extends NearestMean {
      override async learnTask(_task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void) {
        for await (const batch of batches) {
          onPredicted?.(batch, new Int32Array(batch.rows));
          onPredicted?.(batch, new Int32Array(batch.rows));
        }
      }
    }
    await expect(runScenario(tinyScenario('class'), new Twice(2, 4))).rejects.toThrow(/already predicted/);
    class Short extends NearestMean {
      override async scores(): Promise<Float32Array> {
        return new Float32Array(3);
      }
    }
    await expect(runScenario(tinyScenario('class'), new Short(2, 4))).rejects.toThrow(/scores/);
    await expect(runScenario(tinyScenario('class'), new NearestMean(2, 4), { batch: 0 })).rejects.toThrow(RangeError);
  });

  test('predict: argmax, first on ties, NaN never wins, masks', () => {
    const scores = Float32Array.from([1, 3, 3, NaN, 2, -1, -Infinity, -Infinity, -Infinity]);
    expect(Array.from(predict(scores, 3, 3))).toEqual([1, 1, 0]);
    expect(Array.from(predict(scores, 3, 3, [0, 2]))).toEqual([2, 2, 0]);
    expect(Array.from(predict(Float32Array.from([NaN, NaN]), 1, 2, [1]))).toEqual([1]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('streaming LDA', () => {
  test('Cholesky: a known factor and solve; not positive definite is an error', () => {
    const A = Float64Array.from([4, 12, -16, 12, 37, -43, -16, -43, 98]);
    expect(Array.from(cholesky(A, 3))).toEqual([2, 0, 0, 6, 1, 0, -8, 5, 3]);
    const x = choleskySolve(cholesky(A, 3), 3, [-20, -43, 192]); // A·[1, 2, 3]
    [1, 2, 3].forEach((v, i) => expect(x[i]).toBeCloseTo(v, 12));
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/positive-definite/);
    // A random 40 × 40 system: residual at float64 precision.
    const n = 40;
    const g = gaussian(lcg(5));
    const B = Float64Array.from({ length: n * n }, g);
    const M = new Float64Array(n * n);
    for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) for (let k = 0; k < n; ++k) M[i * n + j] += (B[i * n + k] * B[j * n + k]) / n + (i === j && k === 0 ? 0.01 : 0);
    const b = Float64Array.from({ length: n }, g);
    const solution = choleskySolve(cholesky(M, n), n, b);
    for (let i = 0; i < n; ++i) {
      let r = -b[i];
      for (let j = 0; j < n; ++j) r += M[i * n + j] * solution[j];
      expect(Math.abs(r)).toBeLessThan(1e-9);
    }
  });

  /** Seeded rows of d values with labels in [0, classes). */
  function rowsOfClasses(count: number, d: number, classes: number, seed: number) {
    const g = gaussian(lcg(seed));
    const labels = Int32Array.from({ length: count }, (_, r) => (r * 7 + (r >> 2)) % classes);
    const x = Float32Array.from({ length: count * d }, (_, k) => g() + labels[Math.floor(k / d)] * (1 + (k % d)));
    return { x, labels };
  }

  /** Feeds rows in batches of the given sizes, cycling. */
  function feed(m: StreamingLdaMethod, x: Float32Array, labels: Int32Array, sizes: number[]): void {
    const d = m.inputSize;
    for (let start = 0, k = 0; start < labels.length; ++k) {
      const end = Math.min(labels.length, start + sizes[k % sizes.length]);
      m.update(x.subarray(start * d, end * d), labels.subarray(start, end));
      start = end;
    }
  }

  test('running statistics: exact class means; pooled covariance = the batch within-class covariance; the paper\'s recurrence as written', () => {
    const d = 5;
    const K = 3;
    const { x, labels } = rowsOfClasses(50, d, K, 1);
    // Batch statistics of the rows.
    const means = new Float64Array(K * d);
    const counts = new Float64Array(K);
    labels.forEach((c, r) => {
      counts[c] += 1;
      for (let i = 0; i < d; ++i) means[c * d + i] += x[r * d + i];
    });
    for (let c = 0; c < K; ++c) for (let i = 0; i < d; ++i) means[c * d + i] /= counts[c];
    const pooled = new Float64Array(d * d);
    labels.forEach((c, r) => {
      for (let i = 0; i < d; ++i) for (let j = 0; j < d; ++j) pooled[i * d + j] += ((x[r * d + i] - means[c * d + i]) * (x[r * d + j] - means[c * d + j])) / labels.length;
    });
    // The paper's recurrence, row by row, in its normalised form (an independent transcription).
    const sigma = new Float64Array(d * d);
    const mu = new Float64Array(K * d);
    const ck = new Float64Array(K);
    labels.forEach((c, t) => {
      const dev = Array.from({ length: d }, (_, i) => x[t * d + i] - mu[c * d + i]);
      for (let i = 0; i < d; ++i) for (let j = 0; j < d; ++j) sigma[i * d + j] = (t * sigma[i * d + j] + ((t / (t + 1)) * dev[i] * dev[j])) / (t + 1);
      for (let i = 0; i < d; ++i) mu[c * d + i] += dev[i] / (ck[c] + 1);
      ck[c] += 1;
    });

    const close = (a: Float64Array, b: Float64Array) => a.forEach((v, i) => expect(Math.abs(v - b[i])).toBeLessThan(1e-12 * (1 + Math.abs(b[i]))));
    for (const sizes of [[1], [7, 13], [50]]) {
      const exact = new StreamingLdaMethod({ inputSize: d, outputs: K }, { covariance: 'pooled' });
      feed(exact, x, labels, sizes);
      const s = exact.statistics();
      expect(s.rows).toBe(50);
      expect(Array.from(s.counts)).toEqual(Array.from(counts));
      close(s.means, means);
      close(s.covariance, pooled);
      const paper = new StreamingLdaMethod({ inputSize: d, outputs: K });
      feed(paper, x, labels, sizes);
      close(paper.statistics().means, means);
      close(paper.statistics().covariance, sigma);
    }
    // With one class the paper's recurrence is the exact (population) covariance.
    const one = rowsOfClasses(30, d, 1, 2);
    const paper = new StreamingLdaMethod({ inputSize: d, outputs: 2 });
    feed(paper, one.x, one.labels, [4]);
    const m1 = Array.from({ length: d }, (_, i) => one.labels.reduce((a, _c, r) => a + one.x[r * d + i], 0) / 30);
    const cov = paper.statistics().covariance;
    for (let i = 0; i < d; ++i)
      for (let j = 0; j < d; ++j) {
        let v = 0;
        for (let r = 0; r < 30; ++r) v += ((one.x[r * d + i] - m1[i]) * (one.x[r * d + j] - m1[j])) / 30;
        expect(Math.abs(cov[i * d + j] - v)).toBeLessThan(1e-12);
      }
  });

  test('classifies Gaussian blobs with a shared, correlated covariance; unseen classes score −∞', () => {
    const d = 4;
    const K = 3;
    const centres = [
      [0, 0, 0, 0],
      [4, 0, 1, 0],
      [0, 4, 0, -3],
    ];
    const g = gaussian(lcg(3));
    const sample = (count: number) => {
      const labels = Int32Array.from({ length: count }, (_, r) => r % K);
      const x = new Float32Array(count * d);
      labels.forEach((c, r) => {
        const z = [g(), g(), g(), g()];
        // A correlated noise: e = (z0, z0 + 0.5 z1, z2, 0.3 z2 + z3).
        const e = [z[0], z[0] + 0.5 * z[1], z[2], 0.3 * z[2] + z[3]];
        for (let i = 0; i < d; ++i) x[r * d + i] = centres[c][i] + e[i];
      });
      return { x, labels };
    };
    const m = new StreamingLdaMethod({ inputSize: d, outputs: K + 1 });
    const train = sample(600);
    m.update(train.x, train.labels);
    const test = sample(600);
    const predicted = m.predict(test.x, 600);
    const correct = predicted.filter((p, r) => p === test.labels[r]).length;
    expect(correct / 600).toBeGreaterThan(0.95);
    const s = m.scoresSync(test.x.subarray(0, d), 1);
    expect(s[3]).toBe(-Infinity);
    expect(m.factorizations).toBe(1); // lazily: once for both calls
    m.update(train.x.subarray(0, d), train.labels.subarray(0, 1));
    m.scoresSync(test.x.subarray(0, d), 1);
    expect(m.factorizations).toBe(2);
    expect(() => m.update(train.x.subarray(0, d), Int32Array.from([7]))).toThrow(RangeError);
    expect(() => new StreamingLdaMethod({ inputSize: d, outputs: K }, { shrinkage: 0 })).toThrow(RangeError);
  });

  test('in the harness: class-incremental on the blobs, no forgetting', async () => {
    const result = await runScenario(tinyScenario('class'), new StreamingLdaMethod({ inputSize: 2, outputs: 4 }), { batch: 2 });
    expect(result.R[1]).toEqual([1, 1]);
  });
});

// ---------------------------------------------------------------------------------------------
describe('IndeependenceMethod', () => {
  /** Four classes of noisy 16-value prototypes; task 0: classes 0/1, task 1: classes 2/3. */
  function prototypeScenario(): Scenario {
    const random = lcg(1);
    const prototypes = Array.from({ length: 4 }, () => Array.from({ length: 16 }, random));
    const data = (classes: number[], count: number) => {
      const labels = Int32Array.from({ length: count }, (_, r) => classes[r % classes.length]);
      const x = new Float32Array(count * 16);
      labels.forEach((c, r) => prototypes[c].forEach((p, i) => (x[r * 16 + i] = p + 0.1 * (random() - 0.5))));
      return new Dataset({ x, inputSize: 16, labels, classes: 4 });
    };
    return {
      kind: 'class',
      inputSize: 16,
      outputs: 4,
      tasks: [
        { index: 0, name: '0/1', classes: [0, 1], train: data([0, 1], 60), test: data([0, 1], 20) },
        { index: 1, name: '2/3', classes: [2, 3], train: data([2, 3], 60), test: data([2, 3], 20) },
      ],
    };
  }

  test('runs end to end: learns at task ends, remembers the first task', async () => {
    const s = prototypeScenario();
    const method = new IndeependenceMethod(s, { layers: [8] });
    try {
      expect(method.settings).toBe('layers [8], cumulative statistics, eig at task ends, infer 0 steps, seed 1');
      const result = await runScenario(s, method, { batch: 10 });
      expect(method.learns).toBe(2);
      expect(result.R).toHaveLength(2);
      result.R.flat().forEach((v) => expect(v).toBeGreaterThanOrEqual(0));
      expect(result.R[0][0]).toBe(1);
      expect(result.acc).toBeGreaterThanOrEqual(0.9);
      expect(result.prequential.curve.every((v) => v === 0 || v === 1)).toBe(true);
    } finally {
      method.dispose();
    }
  });

  test('learnEvery n learns exactly every n rows within a task, and at its end', async () => {
    const s = prototypeScenario();
    const method = new IndeependenceMethod(s, { layers: [8], learnEvery: 25, inferSteps: 2, seed: 3 });
    try {
      await runScenario(s, method, { batch: 10 });
      expect(method.learns).toBe(6); // per task: after rows 25, 50 and 60
      expect(method.model.layer(0).N).toBe(120);
    } finally {
      method.dispose();
    }
    expect(() => new IndeependenceMethod(s, { learnEvery: 0 })).toThrow(RangeError);
    expect(() => new IndeependenceMethod(s, { learnEvery: 'epoch' as never })).toThrow(TypeError);
    expect(() => new IndeependenceMethod(s, { layer: [8] } as never)).toThrow(/layer/);
  });
});

// ---------------------------------------------------------------------------------------------
describe('MNIST', () => {
  test('class-incremental split MNIST, 300 rows per task: both methods, quick smoke', async () => {
    const s = await mnistScenario('class', { trainRows: 300 });
    expect(s.tasks.map((t) => t.test.rows)).toEqual([2115, 2042, 1874, 1986, 1983]); // MNIST's test digits
    expect(s.tasks.map((t) => t.train.rows)).toEqual([300, 300, 300, 300, 300]);
    const slda = new StreamingLdaMethod(s);
    const a = await runScenario(s, slda, { batch: 100 });
    expect(a.R[0][0]).toBeGreaterThan(0.95);
    expect(a.acc).toBeGreaterThan(0.6);
    const ae = new IndeependenceMethod(s);
    try {
      const b = await runScenario(s, ae, { batch: 100 });
      expect(b.R[0][0]).toBeGreaterThan(0.9);
      expect(b.acc).toBeGreaterThan(0.4);
    } finally {
      ae.dispose();
    }
    // The default model is [400, 250, 150] with propagated moments: seconds here, a minute or more
    // under the sanitizers (scripts/reliability/sanitize.sh runs this file).
  }, 300_000);
});

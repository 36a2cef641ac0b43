/** What the statistics and the learning achieve: exact cumulative moments, the optimum of the objective, label completion, determinism. */
import { Autoencoder, basisEntropy, oneHot } from '../lib';
import * as ref from './reference';
import { f32Tolerance } from './helpers';

test('cumulative statistics are the plain mean and covariance of the mirrored data, whatever the row order', () => {
  const x = ref.randomArray(30 * 4, 5, -1, 1);
  const order = Array.from({ length: 30 }, (_, r) => r).reverse();
  const shuffled = Float32Array.from(order.flatMap((r) => Array.from(x.subarray(r * 4, r * 4 + 4))));
  const a = new Autoencoder({ inputSize: 4, labelSize: 0, layers: [3], statistics: 'cumulative' });
  const b = new Autoencoder({ inputSize: 4, labelSize: 0, layers: [3], statistics: 'cumulative' });
  a.collect(x);
  for (let r = 0; r < 30; ++r) b.collect(shuffled.subarray(r * 4, r * 4 + 4));

  const e = Array.from({ length: 30 }, (_, r) => ref.mirror(x.subarray(r * 4, r * 4 + 4)));
  const mean = new Float64Array(8).map((_, i) => e.reduce((s, row) => s + row[i], 0) / 30);
  const cov = new Float64Array(64).map((_, ij) => e.reduce((s, row) => s + (row[ij >> 3] - mean[ij >> 3]) * (row[ij & 7] - mean[ij & 7]), 0) / 30);
  for (const model of [a, b]) {
    const s = model.layer(0);
    expect(s.N).toBe(30);
    expect(ref.maxDifference(s.B, mean)).toBeLessThanOrEqual(f32Tolerance(1, 30));
    expect(ref.maxDifference(s.C, cov)).toBeLessThanOrEqual(f32Tolerance(1, 60));
  }
});

test('learn drives the objective down to the sum of the trailing eigenvalues of C', () => {
  const n = 5, k = 3, d = 2 * n;
  const mix = ref.randomArray(n * n, 11, -1, 1);
  const raw = ref.randomArray(400 * n, 12, -1, 1);
  const x = new Float32Array(400 * n).map((_, ri) => {
    const r = Math.floor(ri / n), i = ri % n;
    let s = 0;
    for (let j = 0; j < n; ++j) s += raw[r * n + j] * mix[j * n + i] * (j + 1) * 0.3;
    return s;
  });
  const model = new Autoencoder({ inputSize: n, labelSize: 0, layers: [k], statistics: 'cumulative', seed: 2 });
  model.collect(x);
  const C = model.layer(0).C;
  const eigen = ref.symmetricEigenvalues(C, d);
  const bound = eigen.slice(k).reduce((s, l) => s + l, 0);
  const trace = eigen.reduce((s, l) => s + l, 0);
  const start = model.objectives()[0];
  expect(start).toBeCloseTo(trace, 3); // W ≈ 0: nothing reconstructed yet
  model.learn({ steps: 3000 });
  const end = model.objectives()[0];
  expect(end).toBeGreaterThanOrEqual(bound - 1e-4 * trace); // no W does better than the top-k subspace
  expect(end - bound).toBeLessThanOrEqual(0.01 * (trace - bound)); // and Adam gets within 1% of it
});

test.each([
  ['eig', 1],
  ['subspace', 60],
] as const)('solver %s reaches the optimum of the objective, with orthonormal weights rotated onto the old ones', (solver, steps) => {
  const n = 5, k = 3, d = 2 * n;
  const x = ref.randomArray(300 * n, 13, -1, 1).map((v, i) => v * (1 + (i % n)));
  const model = new Autoencoder({ inputSize: n, labelSize: 0, layers: [k], statistics: 'cumulative', solver, seed: 5, initScale: 0.3 });
  model.collect(x);
  const eigen = ref.symmetricEigenvalues(model.layer(0).C, d);
  const bound = eigen.slice(k).reduce((s, l) => s + l, 0);
  const trace = eigen.reduce((s, l) => s + l, 0);
  const before = model.layer(0).W;
  const [value] = model.learn({ steps });
  expect(value).toBeCloseTo(model.objectives()[0], 10); // these solvers report f at the new weights
  expect(value - bound).toBeLessThanOrEqual(f32Tolerance(trace, 4 * d)); // f32 evaluation error only
  const W = model.layer(0).W;
  for (let a = 0; a < k; ++a)
    for (let b = 0; b < k; ++b) {
      let dot = 0;
      for (let i = 0; i < d; ++i) dot += W[i * k + a] * W[i * k + b];
      expect(dot).toBeCloseTo(a === b ? 1 : 0, 4);
    }
  // Procrustes: among the optimal bases U·Q, the one closest to the old W. Any other rotation of the
  // same basis (here: flipping one column's sign) is farther.
  const distance = (A: Float32Array, flip: number) => A.reduce((s, w, i) => s + (((i % k) === flip ? -w : w) - before[i]) ** 2, 0);
  for (let flip = 0; flip < k; ++flip) expect(distance(W, -1)).toBeLessThan(distance(W, flip));
  expect(model.layer(0).adam.t).toBe(0); // no Adam step was taken
});

test('on a toy joint dataset, inference recovers the labels it never saw', () => {
  const classes = 3, n = 12;
  const prototypes = ref.randomArray(classes * n, 21, 0, 1);
  const noise = ref.random(22);
  const make = (count: number) => {
    const labels = Array.from({ length: count }, (_, r) => r % classes);
    const x = Float32Array.from({ length: count * n }, (_, ri) => prototypes[labels[Math.floor(ri / n)] * n + (ri % n)] + 0.1 * (noise() - 0.5));
    return { x, labels };
  };
  const train = make(300), test = make(60);
  const model = new Autoencoder({ inputSize: n, labelSize: classes, layers: [6], statistics: 'cumulative', seed: 4 });
  model.collect(train.x, oneHot(train.labels, classes));
  model.learn({ steps: 2000 });
  const predicted = model.classify(test.x, { steps: 100 });
  const correct = test.labels.filter((label, r) => predicted[r] === label).length;
  expect(correct / test.labels.length).toBeGreaterThanOrEqual(0.95);
});

test('the same seed gives the same model and the same results; another seed another model', () => {
  const run = (seed: number) => {
    const model = new Autoencoder({ inputSize: 6, labelSize: 2, layers: [5, 3], seed });
    const x = ref.randomArray(40 * 6, 31), y = oneHot(Array.from({ length: 40 }, (_, r) => r % 2), 2);
    model.collect(x, y, { alpha: 0.1 });
    model.learn({ steps: 50 });
    return { W: model.layer(1).W, scores: model.infer(x, { steps: 20 }).scores };
  };
  const a = run(9), b = run(9), c = run(10);
  expect(Buffer.from(a.W.buffer).equals(Buffer.from(b.W.buffer))).toBe(true);
  expect(Buffer.from(a.scores.buffer).equals(Buffer.from(b.scores.buffer))).toBe(true);
  expect(ref.maxDifference(a.W, c.W)).toBeGreaterThan(0);
  const w0 = new Autoencoder({ inputSize: 6, labelSize: 2, layers: [5], seed: 9 }).layer(0).W;
  expect(Math.max(...w0)).toBeLessThan(0.0005);
  expect(Math.min(...w0)).toBeGreaterThanOrEqual(-0.0005);
});

test('basisEntropy: D·log N − Σ c·log c / N over equal bins', () => {
  // Dimension 0 spreads 4 codes over 4 bins (entropy log 4); dimension 1 puts all in one bin (0).
  const codes = new Float32Array([0.1, 0.5, 0.3, 0.5, 0.6, 0.5, 0.9, 0.5]);
  expect(basisEntropy(codes, 2, { bins: 4, min: 0, max: 1 })).toBeCloseTo(Math.log(4), 12);
  // Values outside [min, max] fall into the edge bins.
  expect(basisEntropy(new Float32Array([-5, 5]), 1, { bins: 2, min: 0, max: 1 })).toBeCloseTo(Math.log(2), 12);
  expect(() => basisEntropy(codes, 2, { bins: 4, min: 1, max: 1 })).toThrow(RangeError);
  expect(() => basisEntropy(new Float32Array([NaN, 1]), 2, { bins: 4, min: 0, max: 1 })).toThrow(/codes\[0\]/);
});

test('a learn that diverges fails with ERR_INDEE_NUMERICAL and leaves the model as it was', () => {
  const model = new Autoencoder({ inputSize: 6, labelSize: 2, layers: [4, 2], rate: 1e6, statistics: 'cumulative', seed: 3, initScale: 0.3 });
  const x = ref.randomArray(10 * 6, 91, -1e7, 1e7);
  model.collect(x);
  const before = [0, 1].map((l) => model.layer(l));
  expect(() => model.learn({ steps: 50 })).toThrow(expect.objectContaining({ code: 'ERR_INDEE_NUMERICAL', message: expect.stringMatching(/^learning diverged in layer 0 \(objective -?nan, rate 1e\+06\): the model is left as it was/) }));
  [0, 1].forEach((l) => expect(model.layer(l)).toEqual(before[l]));
  expect(model.learn({ steps: 0 })).toHaveLength(2); // still usable
});

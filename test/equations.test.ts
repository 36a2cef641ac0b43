/**
 * The native core against the independent float64 reference (test/reference.ts), equation by
 * equation: mirror, encode, decode and residue, collect in both modes, learn, inference.
 */
import { Autoencoder, oneHot } from '../lib';
import * as ref from './reference';
import { f32Tolerance, joint, referenceOf, rowsOf, smallOptions } from './helpers';

const X = ref.randomArray(12 * 5, 1, -1, 1);
const Y = oneHot([0, 1, 2, 2, 1, 0, 0, 1, 2, 1, 1, 0], 3);

function collectedPair(statistics: 'ema' | 'cumulative') {
  const model = new Autoencoder(smallOptions(statistics));
  const stack = referenceOf(model);
  model.collect(X.subarray(0, 25), Y.subarray(0, 15), { alpha: 0.2 });
  model.collect(X.subarray(25), Y.subarray(15), { alpha: 0.2 });
  for (const v of joint(X, Y, 5, 3)) {
    let h: ArrayLike<number> = v;
    for (const L of stack) h = ref.collectRow(L, h, statistics, 0.2);
  }
  return { model, stack };
}

function expectStatisticsEqual(model: Autoencoder, stack: ref.RefLayer[]) {
  stack.forEach((L, i) => {
    const s = model.layer(i);
    const d = 2 * L.n;
    expect(s.N).toBe(L.N);
    expect(ref.maxDifference(s.C, L.C)).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(L.C), 4 * d));
    expect(ref.maxDifference(s.B, L.B)).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(L.B), 4 * d));
    expect(ref.maxDifference(s.b, L.b)).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(L.b), 4 * d));
  });
}

describe.each(['ema', 'cumulative'] as const)('collect (%s)', (statistics) => {
  test('two batches equal the rows collected one at a time, on every layer', () => {
    const { model, stack } = collectedPair(statistics);
    expectStatisticsEqual(model, stack);
  });
});

test("the original's batch-sum semantics, on request", () => {
  const model = new Autoencoder(smallOptions('ema'));
  const stack = referenceOf(model);
  model.collect(X, Y, { alpha: 0.2, batch: 'sum' });
  let rows: ArrayLike<number>[] = joint(X, Y, 5, 3);
  for (const L of stack) rows = ref.collectBatchSum(L, rows, 0.2);
  expectStatisticsEqual(model, stack);
});

test('mirror, encode and decode with residue match the reference', () => {
  const { model, stack } = collectedPair('ema');
  const codes = model.encode(X, Y);
  rowsOf(codes, 4).forEach((h, r) => {
    const expected = ref.encodeStack(stack, joint(X, Y, 5, 3)[r]);
    expect(ref.maxDifference(h, expected)).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(expected), 64));
  });
  const decoded = model.decode(codes);
  rowsOf(codes, 4).forEach((h, r) => {
    let out: ArrayLike<number> = h;
    let residue = 0;
    for (let l = stack.length - 1; l >= 0; --l) {
      const step = ref.decodeRow(stack[l], out);
      out = step.out;
      residue += step.residue;
    }
    const expected = Array.from(out);
    expect(ref.maxDifference(decoded.x.subarray(r * 5, r * 5 + 5), expected.slice(0, 5))).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(expected), 64));
    expect(ref.maxDifference(decoded.y.subarray(r * 3, r * 3 + 3), expected.slice(5))).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(expected), 64));
    expect(Math.abs(decoded.residue[r] - residue)).toBeLessThanOrEqual(f32Tolerance(residue, 256));
  });
});

test('mirroring interleaves pairs: [max(v,0), max(-v,0)] per value', () => {
  expect(Array.from(ref.mirror([1.5, -2, 0]))).toEqual([1.5, 0, 0, 2, 0, 0]);
  // A one-layer model with W = 0 and b = mean of one collected row decodes every code to that row.
  const model = new Autoencoder({ inputSize: 3, labelSize: 0, layers: [2], initScale: 0 });
  model.collect(new Float32Array([1.5, -2, 0]), null, { alpha: 1 });
  expect(Array.from(model.layer(0).b)).toEqual([1.5, 0, 0, 2, 0, 0]);
  expect(ref.maxDifference(model.decode(new Float32Array([0.3, -0.7])).x, [1.5, -2, 0])).toBe(0);
});

describe.each(['ema', 'cumulative'] as const)('learn (%s)', (statistics) => {
  test('one Adam step: objective, gradient (Adam m = (1-β1)·g) and new W match', () => {
    const { model, stack } = collectedPair(statistics);
    const values = model.learn({ steps: 1 });
    stack.forEach((L, i) => {
      const d = 2 * L.n;
      const g = ref.gradient(L.C, L.W, d, L.k);
      const f = ref.learnStep(L, 0.01);
      const s = model.layer(i);
      expect(Math.abs(values[i] - f)).toBeLessThanOrEqual(f32Tolerance(Math.abs(f) + ref.maxAbs(L.C) * d, 8 * d));
      expect(ref.maxDifference(s.adam.m, g.map((x) => 0.1 * x))).toBeLessThanOrEqual(f32Tolerance(0.1 * ref.maxAbs(g), 8 * d));
      expect(ref.maxDifference(s.W, L.W)).toBeLessThanOrEqual(1e-6);
      expect(s.adam.t).toBe(1);
    });
  });

  test('twenty steps stay on the reference trajectory', () => {
    const { model, stack } = collectedPair(statistics);
    model.learn({ steps: 20 });
    stack.forEach((L, i) => {
      for (let s = 0; s < 20; ++s) ref.learnStep(L, 0.01);
      expect(ref.maxDifference(model.layer(i).W, L.W)).toBeLessThanOrEqual(1e-4);
    });
  });
});

test('objectiveGradient matches the reference formula, and the formula matches finite differences', () => {
  const { model, stack } = collectedPair('cumulative');
  stack.forEach((L, i) => {
    const d = 2 * L.n;
    const g = ref.gradient(L.C, L.W, d, L.k);
    const native = model.objectiveGradient(i);
    expect(Math.abs(native.value - ref.objective(L.C, L.W, d, L.k))).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(L.C) * d, 8 * d));
    expect(ref.maxDifference(native.gradient, g)).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(g), 8 * d));
    const eps = 1e-6;
    for (let j = 0; j < L.W.length; j += 3) {
      const plus = Float64Array.from(L.W), minus = Float64Array.from(L.W);
      plus[j] += eps;
      minus[j] -= eps;
      const fd = (ref.objective(L.C, plus, d, L.k) - ref.objective(L.C, minus, d, L.k)) / (2 * eps);
      expect(Math.abs(g[j] - fd)).toBeLessThanOrEqual(1e-7 + 1e-6 * Math.abs(fd));
    }
  });
});

test('completionGradient matches the hand-derived reference, and the reference matches finite differences', () => {
  const { model, stack } = collectedPair('ema');
  const codes = ref.randomArray(12 * 4, 9, -1, 1);
  const native = model.completionGradient(X, codes);
  rowsOf(codes, 4).forEach((h, r) => {
    const x = X.subarray(r * 5, r * 5 + 5);
    const expected = ref.completion(stack, x, h);
    expect(Math.abs(native.loss[r] - expected.loss)).toBeLessThanOrEqual(f32Tolerance(expected.loss, 512));
    expect(ref.maxDifference(native.gradient.subarray(r * 4, r * 4 + 4), expected.gradient)).toBeLessThanOrEqual(f32Tolerance(ref.maxAbs(expected.gradient), 512));
    const eps = 1e-6;
    for (let j = 0; j < 4; ++j) {
      const plus = Float64Array.from(h), minus = Float64Array.from(h);
      plus[j] += eps;
      minus[j] -= eps;
      const fd = (ref.completion(stack, x, plus).loss - ref.completion(stack, x, minus).loss) / (2 * eps);
      expect(Math.abs(expected.gradient[j] - fd)).toBeLessThanOrEqual(1e-6 + 1e-6 * Math.abs(fd));
    }
  });
});

test('infer: ten Adam steps per row follow the reference (codes, ŷ before the last update, labels, loss)', () => {
  const { model, stack } = collectedPair('cumulative');
  const result = model.infer(X, { steps: 10 });
  rowsOf(X, 5).forEach((x, r) => {
    const expected = ref.inferRow(stack, x, 3, 10, 0.01);
    expect(ref.maxDifference(result.codes.subarray(r * 4, r * 4 + 4), expected.codes)).toBeLessThanOrEqual(1e-4);
    expect(ref.maxDifference(result.scores.subarray(r * 3, r * 3 + 3), expected.scores)).toBeLessThanOrEqual(1e-4);
    expect(ref.maxDifference(result.reconstruction.subarray(r * 5, r * 5 + 5), expected.reconstruction)).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(result.loss[r] - expected.loss)).toBeLessThanOrEqual(1e-4 * Math.max(1, expected.loss));
    expect(result.labels[r]).toBe(expected.label);
  });
});

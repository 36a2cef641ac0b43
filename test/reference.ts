/**
 * An independent float64 implementation of ALGORITHM.md, written from the spec for small sizes,
 * literally row by row. The native results must match it within float32 tolerance.
 */
import { prng } from '../scripts/fuzz/prng';

export type Mode = 'ema' | 'cumulative';

export interface RefLayer {
  n: number;
  k: number;
  W: Float64Array; // 2n × k
  b: Float64Array; // 2n
  B: Float64Array; // 2n
  C: Float64Array; // 2n × 2n
  N: number;
  m: Float64Array;
  v: Float64Array;
  t: number;
  /** Cumulative mode only: every mirrored row seen, to compute the exact covariance directly. */
  seen: Float64Array[];
}

export function refLayer(n: number, k: number, W: ArrayLike<number>): RefLayer {
  const d = 2 * n;
  return {
    n, k, W: Float64Array.from(W), b: new Float64Array(d), B: new Float64Array(d), C: new Float64Array(d * d), N: 0,
    m: new Float64Array(d * k), v: new Float64Array(d * k), t: 0, seen: [],
  };
}

export function mirror(v: ArrayLike<number>): Float64Array {
  const e = new Float64Array(2 * v.length);
  for (let i = 0; i < v.length; ++i) {
    e[2 * i] = Math.max(v[i], 0);
    e[2 * i + 1] = Math.max(-v[i], 0);
  }
  return e;
}

/** h = z W for one row z (length 2n). */
function times(z: Float64Array, L: RefLayer): Float64Array {
  const h = new Float64Array(L.k);
  for (let i = 0; i < z.length; ++i) for (let c = 0; c < L.k; ++c) h[c] += z[i] * L.W[i * L.k + c];
  return h;
}

export function encodeRow(L: RefLayer, v: ArrayLike<number>): Float64Array {
  const e = mirror(v);
  return times(e.map((x, i) => x - L.b[i]), L);
}

export function decodeRow(L: RefLayer, h: ArrayLike<number>): { u: Float64Array; out: Float64Array; residue: number } {
  const d = 2 * L.n;
  const u = Float64Array.from(L.b);
  for (let i = 0; i < d; ++i) for (let c = 0; c < L.k; ++c) u[i] += h[c] * L.W[i * L.k + c];
  const out = new Float64Array(L.n);
  let residue = 0;
  for (let i = 0; i < L.n; ++i) {
    const p = u[2 * i], q = u[2 * i + 1];
    if (p > q) { out[i] = p; residue += q * q; } else { out[i] = -q; residue += p * p; }
  }
  return { u, out, residue };
}

/** One row collected as the original did (moving average), or into exact cumulative statistics. */
export function collectRow(L: RefLayer, v: ArrayLike<number>, mode: Mode, alpha: number): Float64Array {
  const e = mirror(v);
  const d = e.length;
  const z = e.map((x, i) => x - L.b[i]);
  L.N += 1;
  if (mode === 'ema') {
    for (let i = 0; i < d; ++i) for (let j = 0; j < d; ++j) L.C[i * d + j] = alpha * z[i] * z[j] + (1 - alpha) * L.C[i * d + j];
    for (let i = 0; i < d; ++i) L.B[i] = alpha * e[i] + (1 - alpha) * L.B[i];
  } else {
    L.seen.push(e);
    const mean = new Float64Array(d);
    for (const row of L.seen) for (let i = 0; i < d; ++i) mean[i] += row[i] / L.seen.length;
    L.C.fill(0);
    for (const row of L.seen)
      for (let i = 0; i < d; ++i) for (let j = 0; j < d; ++j) L.C[i * d + j] += ((row[i] - mean[i]) * (row[j] - mean[j])) / L.seen.length;
    L.B.set(mean);
  }
  L.b.set(L.B);
  return times(z, L);
}

/** The original's batch form: C ← α Σ zzᵀ + (1-α) C, B ← α mean(e) + (1-α) B, every z centred on the b before. */
export function collectBatchSum(L: RefLayer, rows: ArrayLike<number>[], alpha: number): Float64Array[] {
  const d = 2 * L.n;
  const es = rows.map(mirror);
  const zs = es.map((e) => e.map((x, i) => x - L.b[i]));
  for (let i = 0; i < d; ++i)
    for (let j = 0; j < d; ++j) {
      let s = 0;
      for (const z of zs) s += z[i] * z[j];
      L.C[i * d + j] = alpha * s + (1 - alpha) * L.C[i * d + j];
    }
  for (let i = 0; i < d; ++i) {
    let s = 0;
    for (const e of es) s += e[i];
    L.B[i] = (alpha * s) / es.length + (1 - alpha) * L.B[i];
  }
  L.N += rows.length;
  L.b.set(L.B);
  return zs.map((z) => times(z, L));
}

/** f(W) = E‖z − WWᵀz‖² = tr((I − WWᵀ) C (I − WWᵀ)), computed literally from the projection. */
export function objective(C: Float64Array, W: Float64Array, d: number, k: number): number {
  const M = new Float64Array(d * d); // I − WWᵀ
  for (let i = 0; i < d; ++i)
    for (let j = 0; j < d; ++j) {
      let s = i === j ? 1 : 0;
      for (let c = 0; c < k; ++c) s -= W[i * k + c] * W[j * k + c];
      M[i * d + j] = s;
    }
  let f = 0; // tr(M C M) = Σ_ij (MC)_ij M_ji
  for (let i = 0; i < d; ++i)
    for (let j = 0; j < d; ++j) {
      let mc = 0;
      for (let l = 0; l < d; ++l) mc += M[i * d + l] * C[l * d + j];
      f += mc * M[j * d + i];
    }
  return f;
}

function matmul(A: Float64Array, B: Float64Array, r: number, inner: number, c: number, transA = false): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; ++i)
    for (let l = 0; l < inner; ++l) {
      const a = transA ? A[l * r + i] : A[i * inner + l];
      for (let j = 0; j < c; ++j) out[i * c + j] += a * B[l * c + j];
    }
  return out;
}

/** ∇f = −4CW + 2CW(WᵀW) + 2W(WᵀCW). */
export function gradient(C: Float64Array, W: Float64Array, d: number, k: number): Float64Array {
  const CW = matmul(C, W, d, d, k);
  const WtW = matmul(W, W, k, d, k, true);
  const WtCW = matmul(W, CW, k, d, k, true);
  const a = matmul(CW, WtW, d, k, k), b = matmul(W, WtCW, d, k, k);
  return CW.map((x, i) => -4 * x + 2 * a[i] + 2 * b[i]);
}

export const BETA1 = 0.9, BETA2 = 0.999, EPSILON = 1e-8;

/** TensorFlow 1's Adam step at count t (already incremented). */
export function adamStep(x: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, rate: number): void {
  const step = (rate * Math.sqrt(1 - BETA2 ** t)) / (1 - BETA1 ** t);
  for (let i = 0; i < x.length; ++i) {
    m[i] = BETA1 * m[i] + (1 - BETA1) * g[i];
    v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
    x[i] -= (step * m[i]) / (Math.sqrt(v[i]) + EPSILON);
  }
}

export function learnStep(L: RefLayer, rate: number): number {
  const d = 2 * L.n;
  const f = objective(L.C, L.W, d, L.k);
  L.t += 1;
  adamStep(L.W, gradient(L.C, L.W, d, L.k), L.m, L.v, L.t, rate);
  return f;
}

/** Decodes top codes through the stack (layers bottom first); returns every layer's decode, top first. */
function decodeStack(stack: RefLayer[], h: ArrayLike<number>) {
  const passes: { layer: RefLayer; u: Float64Array; out: Float64Array }[] = [];
  let code: ArrayLike<number> = h;
  let residue = 0;
  for (let l = stack.length - 1; l >= 0; --l) {
    const r = decodeRow(stack[l], code);
    passes.push({ layer: stack[l], u: r.u, out: r.out });
    residue += r.residue;
    code = r.out;
  }
  return { passes, bottom: code as Float64Array, residue };
}

/** Loss ‖x − x̂(h)‖² + residue(h) for one row, with its hand-derived gradient with respect to h. */
export function completion(stack: RefLayer[], x: ArrayLike<number>, h: ArrayLike<number>) {
  const { passes, bottom, residue } = decodeStack(stack, h);
  let loss = residue;
  let g = new Float64Array(bottom.length);
  for (let i = 0; i < x.length; ++i) {
    loss += (bottom[i] - x[i]) ** 2;
    g[i] = 2 * (bottom[i] - x[i]);
  }
  for (let p = passes.length - 1; p >= 0; --p) {
    const { layer, u } = passes[p];
    const du = new Float64Array(u.length);
    for (let i = 0; i < layer.n; ++i) {
      const a = u[2 * i], b = u[2 * i + 1];
      if (a > b) { du[2 * i] = g[i]; du[2 * i + 1] = 2 * b; } else { du[2 * i] = 2 * a; du[2 * i + 1] = -g[i]; }
    }
    const dh = new Float64Array(layer.k);
    for (let i = 0; i < u.length; ++i) for (let c = 0; c < layer.k; ++c) dh[c] += du[i] * layer.W[i * layer.k + c];
    g = dh;
  }
  return { loss, gradient: g, bottom };
}

export function encodeStack(stack: RefLayer[], v: ArrayLike<number>): Float64Array {
  let h: ArrayLike<number> = v;
  for (const L of stack) h = encodeRow(L, h);
  return h as Float64Array;
}

/** Label completion of one row x: `steps` Adam steps on the top code; ŷ from the decode before the last update. */
export function inferRow(stack: RefLayer[], x: ArrayLike<number>, labelSize: number, steps: number, rate: number) {
  const h = encodeStack(stack, [...Array.from(x), ...new Array(labelSize).fill(0)]);
  const m = new Float64Array(h.length), v = new Float64Array(h.length);
  let last = completion(stack, x, h);
  for (let t = 1; t <= steps; ++t) {
    last = completion(stack, x, h);
    adamStep(h, last.gradient, m, v, t, rate);
  }
  const scores = last.bottom.slice(x.length);
  let label = 0;
  for (let c = 1; c < labelSize; ++c) if (scores[c] > scores[label]) label = c;
  return { codes: h, scores, reconstruction: last.bottom.slice(0, x.length), label, loss: last.loss };
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, in descending order. */
export function symmetricEigenvalues(S: ArrayLike<number>, d: number): number[] {
  const A = Float64Array.from(S);
  for (let sweep = 0; sweep < 100; ++sweep) {
    let off = 0;
    for (let p = 0; p < d; ++p) for (let q = p + 1; q < d; ++q) off += A[p * d + q] ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < d; ++p)
      for (let q = p + 1; q < d; ++q) {
        if (Math.abs(A[p * d + q]) < 1e-300) continue;
        const theta = (A[q * d + q] - A[p * d + p]) / (2 * A[p * d + q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < d; ++r) {
          const arp = A[r * d + p], arq = A[r * d + q];
          A[r * d + p] = c * arp - s * arq;
          A[r * d + q] = s * arp + c * arq;
        }
        for (let r = 0; r < d; ++r) {
          const apr = A[p * d + r], aqr = A[q * d + r];
          A[p * d + r] = c * apr - s * aqr;
          A[q * d + r] = s * apr + c * aqr;
        }
      }
  }
  return Array.from({ length: d }, (_, i) => A[i * d + i]).sort((a, b) => b - a);
}

/** A seeded uniform generator for test data (mulberry32, shared with the fuzzers). */
export const random: (seed: number) => () => number = prng;

export function randomArray(length: number, seed: number, low = 0, high = 1): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length }, () => low + (high - low) * next());
}

/** Largest |a − b| over two arrays of the same length. */
export function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

export function maxAbs(a: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; ++i) worst = Math.max(worst, Math.abs(a[i]));
  return worst;
}

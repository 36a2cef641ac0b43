/**
 * Streaming linear discriminant analysis (Hayes & Kanan 2020, "Lifelong Machine Learning with Deep
 * Streaming Linear Discriminant Analysis", CVPR Workshops): running class means and counts and one
 * shared covariance, updated row by row; prediction by the linear discriminant of the shrunk
 * covariance. The rows themselves are never stored, as with the autoencoder — the natural baseline.
 */
import { types } from 'node:util';
import { rangeError, typeError } from '../../errors';
import * as check from '../../validate';
import { predict } from '../harness';
import type { ContinualMethod, Task, TaskBatch } from '../types';

/**
 * The Cholesky factor of a symmetric positive-definite n × n matrix (row-major; only its lower
 * triangle is read): L lower triangular (row-major, zeros above the diagonal) with A = L·Lᵀ.
 * Cholesky–Banachiewicz, row by row; about n³/6 multiply-adds (0.1–0.2 s for n = 784).
 * @throws RangeError when A is not (numerically) positive definite.
 */
export function cholesky(a: Float64Array, n: number): Float64Array {
  check.integer(n, 'n', 1, 1 << 15);
  if (!types.isFloat64Array(a) || a.length !== n * n) throw typeError('a', `a Float64Array of ${n} × ${n} values`, a);
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; ++i) {
    const ri = i * n;
    for (let j = 0; j <= i; ++j) {
      const rj = j * n;
      let s = a[ri + j];
      for (let k = 0; k < j; ++k) s -= L[ri + k] * L[rj + k];
      if (i === j) {
        if (!(s > 0)) throw rangeError('a', `a positive-definite matrix (pivot ${i} is ${s})`, a);
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j];
      }
    }
  }
  return L;
}

/**
 * Solves A·x = b given A's Cholesky factor L (from {@link cholesky}): L·y = b forward, then Lᵀ·x = y
 * backward. Returns x (a new array); b is not changed.
 */
export function choleskySolve(L: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  if (!types.isFloat64Array(L) || L.length !== n * n) throw typeError('L', `a Float64Array of ${n} × ${n} values`, L);
  if (b.length !== n) throw rangeError('b.length', `${n}`, b.length);
  const y = Float64Array.from(b);
  for (let i = 0; i < n; ++i) {
    const ri = i * n;
    let s = y[i];
    for (let k = 0; k < i; ++k) s -= L[ri + k] * y[k];
    y[i] = s / L[ri + i];
  }
  // Lᵀx = y by columns of Lᵀ (rows of L), so the inner loop reads L contiguously.
  for (let i = n - 1; i >= 0; --i) {
    const ri = i * n;
    const xi = y[i] / L[ri + i];
    y[i] = xi;
    for (let k = 0; k < i; ++k) y[k] -= L[ri + k] * xi;
  }
  return y;
}

/** How the shared covariance follows the stream. */
export type SldaCovariance =
  /**
   * The paper's update (its equations and its code): per row, with N the rows seen so far and μ_y the
   * row's class mean before the row (zero for a class not seen yet),
   * Δ = N/(N+1)·(x − μ_y)(x − μ_y)ᵀ and Σ ← (N·Σ + Δ)/(N+1). It equals the covariance of the rows
   * exactly for a single class; with several, it weighs each row's deviation by N/(N+1) rather than
   * c_y/(c_y+1), and a class's first row adds its whole outer product xxᵀ.
   */
  | 'paper'
  /**
   * The exact pooled within-class covariance Σ = (1/N) Σ_c Σ_{x∈c} (x − μ_c)(x − μ_c)ᵀ, kept by the
   * per-class Welford update Δ = c_y/(c_y+1)·(x − μ_y)(x − μ_y)ᵀ (zero for a class's first row).
   */
  | 'pooled';

/** Options of {@link StreamingLdaMethod}. */
export interface SldaOptions {
  /** ε of the shrinkage Λ = ((1 − ε)Σ + εI)⁻¹, in (0, 1]. Default 1e-4 (the paper's). */
  shrinkage?: number;
  /** Default `'paper'`. */
  covariance?: SldaCovariance;
}

/** A copy of the running statistics of {@link StreamingLdaMethod}. */
export interface SldaStatistics {
  /** outputs × inputSize class means, row-major (zeros for classes not seen). */
  means: Float64Array;
  /** Rows seen per class. */
  counts: Float64Array;
  /** inputSize × inputSize shared covariance Σ, full and symmetric (zeros before any row). */
  covariance: Float64Array;
  /** Rows seen, N. */
  rows: number;
}

/**
 * Streaming LDA over `outputs` classes. Statistics in float64: per class a mean μ_c and a count,
 * and the shared covariance Σ kept as its unnormalised sum S = N·Σ (S ← S + Δ, the paper's
 * recurrence multiplied through by N + 1), upper triangle only.
 *
 * A batch is applied exactly as the paper's per-row recurrence, row after row: each row's deviation
 * from its class mean is taken against the mean as updated by the rows before it, and weighted by the
 * N of its own position; the batch's rank-m sum is then added to S in one pass (the same sum as m
 * rank-1 additions, up to float64 rounding order).
 *
 * Scores: score_c(x) = (Λμ_c)·x − ½ μ_cᵀΛμ_c with Λ = ((1 − ε)Σ + εI)⁻¹, through a Cholesky
 * factorisation recomputed lazily, when the statistics changed since the last one. A class never seen
 * scores −∞ (it cannot be predicted).
 */
export class StreamingLdaMethod implements ContinualMethod {
  readonly name = 'SLDA';
  readonly settings: string;
  /** Values per input row. */
  readonly inputSize: number;
  /** Classes. */
  readonly outputs: number;
  readonly shrinkage: number;
  readonly covariance: SldaCovariance;

  readonly #means: Float64Array;
  readonly #counts: Float64Array;
  /** N·Σ, upper triangle (row i holds columns j ≥ i). */
  readonly #scatter: Float64Array;
  #rows = 0;
  /** Λμ_c per class (outputs × inputSize) and −½ μ_cᵀΛμ_c, or null when the statistics changed since. */
  #discriminant: { weights: Float64Array; bias: Float64Array } | null = null;
  /** Cholesky factorisations computed (for tests and timing). */
  factorizations = 0;

  /**
   * @param shape the scenario's input size and number of outputs (a Scenario will do).
   * @throws TypeError / RangeError for bad sizes or options.
   */
  constructor(shape: { inputSize: number; outputs: number }, options?: SldaOptions) {
    if (typeof shape !== 'object' || shape === null) throw typeError('shape', 'an object { inputSize, outputs }', shape);
    this.inputSize = check.integer(shape.inputSize, 'shape.inputSize', 1, 1 << 14);
    this.outputs = check.integer(shape.outputs, 'shape.outputs', 1, 1 << 16);
    const o = check.options(options, 'options', ['shrinkage', 'covariance'] as const);
    this.shrinkage = o.shrinkage === undefined ? 1e-4 : check.finiteNumber(o.shrinkage, 'options.shrinkage', 0, 1, true);
    this.covariance = o.covariance === undefined ? 'paper' : check.choice(o.covariance, 'options.covariance', ['paper', 'pooled'] as const);
    this.settings = `shrinkage ε ${this.shrinkage}, ${this.covariance} covariance update, float64`;
    const d = this.inputSize;
    this.#means = new Float64Array(this.outputs * d);
    this.#counts = new Float64Array(this.outputs);
    this.#scatter = new Float64Array(d * d);
  }

  /** Rows seen. */
  get rows(): number {
    return this.#rows;
  }

  /**
   * Adds rows to the statistics, in order (the paper's per-row recurrence; see the class comment).
   * @param x rows × inputSize values.
   * @param labels one class in [0, outputs) per row.
   */
  update(x: Float32Array | Float64Array, labels: Int32Array): void {
    const d = this.inputSize;
    if (!types.isInt32Array(labels)) throw typeError('labels', 'an Int32Array of classes', labels);
    const m = labels.length;
    if (!(types.isFloat32Array(x) || types.isFloat64Array(x)) || x.length !== m * d)
      throw typeError('x', `a Float32Array or Float64Array of ${m} rows of ${d} values (one per label)`, x);
    for (let r = 0; r < m; ++r) {
      const y = labels[r];
      if (!Number.isInteger(y) || y < 0 || y >= this.outputs) throw rangeError(`labels[${r}]`, `a class in [0, ${this.outputs - 1}]`, y);
    }
    if (m === 0) return;
    // Each row's deviation from its class mean as it stands when the row arrives, and its weight.
    const dev = new Float64Array(m * d);
    const weight = new Float64Array(m);
    for (let r = 0; r < m; ++r) {
      const y = labels[r];
      const c = this.#counts[y];
      const mu = y * d;
      const base = r * d;
      for (let i = 0; i < d; ++i) {
        const v = x[base + i];
        if (!Number.isFinite(v)) throw rangeError(`x[${base + i}]`, 'a finite number', v);
        dev[base + i] = v - this.#means[mu + i];
      }
      weight[r] = this.covariance === 'paper' ? this.#rows / (this.#rows + 1) : c / (c + 1);
      const step = 1 / (c + 1);
      for (let i = 0; i < d; ++i) this.#means[mu + i] += dev[base + i] * step;
      this.#counts[y] = c + 1;
      this.#rows += 1;
    }
    // S += Σ_r weight_r · dev_r dev_rᵀ, upper triangle; rows of S and of dev are read contiguously.
    const S = this.#scatter;
    for (let i = 0; i < d; ++i) {
      const si = i * d;
      for (let r = 0; r < m; ++r) {
        const base = r * d;
        const a = weight[r] * dev[base + i];
        if (a === 0) continue;
        for (let j = i; j < d; ++j) S[si + j] += a * dev[base + j];
      }
    }
    this.#discriminant = null;
  }

  /** A copy of the running statistics. */
  statistics(): SldaStatistics {
    const d = this.inputSize;
    const covariance = new Float64Array(d * d);
    if (this.#rows > 0) {
      for (let i = 0; i < d; ++i)
        for (let j = i; j < d; ++j) {
          const v = this.#scatter[i * d + j] / this.#rows;
          covariance[i * d + j] = v;
          covariance[j * d + i] = v;
        }
    }
    return { means: this.#means.slice(), counts: this.#counts.slice(), covariance, rows: this.#rows };
  }

  /** Λμ_c and −½ μ_cᵀΛμ_c for every class seen, refreshed when the statistics changed. */
  #current(): { weights: Float64Array; bias: Float64Array } {
    if (this.#discriminant) return this.#discriminant;
    const d = this.inputSize;
    const K = this.outputs;
    const weights = new Float64Array(K * d);
    const bias = new Float64Array(K).fill(-Infinity);
    if (this.#rows > 0) {
      const e = this.shrinkage;
      const scale = (1 - e) / this.#rows;
      // (1 − ε)Σ + εI, lower triangle (row i, columns j ≤ i), from the upper triangle of S.
      const A = new Float64Array(d * d);
      for (let i = 0; i < d; ++i) {
        for (let j = 0; j < i; ++j) A[i * d + j] = scale * this.#scatter[j * d + i];
        A[i * d + i] = scale * this.#scatter[i * d + i] + e;
      }
      const L = cholesky(A, d);
      this.factorizations += 1;
      for (let c = 0; c < K; ++c) {
        if (this.#counts[c] === 0) continue;
        const mu = this.#means.subarray(c * d, (c + 1) * d);
        const w = choleskySolve(L, d, mu);
        weights.set(w, c * d);
        let q = 0;
        for (let i = 0; i < d; ++i) q += mu[i] * w[i];
        bias[c] = -0.5 * q;
      }
    }
    this.#discriminant = { weights, bias };
    return this.#discriminant;
  }

  /** {@link StreamingLdaMethod.scores} without the Promise. */
  scoresSync(x: Float32Array, rows: number): Float32Array {
    const d = this.inputSize;
    const K = this.outputs;
    check.integer(rows, 'rows', 0, 2 ** 31 - 1);
    if (!types.isFloat32Array(x) || x.length !== rows * d) throw typeError('x', `a Float32Array of ${rows} rows of ${d} values`, x);
    const { weights, bias } = this.#current();
    const out = new Float32Array(rows * K);
    for (let r = 0; r < rows; ++r) {
      const row = x.subarray(r * d, (r + 1) * d);
      for (let c = 0; c < K; ++c) {
        if (bias[c] === -Infinity) {
          out[r * K + c] = -Infinity;
          continue;
        }
        let s = bias[c];
        const w = c * d;
        for (let i = 0; i < d; ++i) s += weights[w + i] * row[i];
        out[r * K + c] = s;
      }
    }
    return out;
  }

  /** The class of largest score per row (the first on ties; class 0 before any row is seen). */
  predict(x: Float32Array, rows: number): Int32Array {
    return predict(this.scoresSync(x, rows), rows, this.outputs);
  }

  /** Scores (rows × outputs) of test rows: the linear discriminant of every class (−∞ for a class not seen). */
  async scores(x: Float32Array, rows: number): Promise<Float32Array> {
    return this.scoresSync(x, rows);
  }

  /** Per batch: predicts it with the statistics so far (when `onPredicted` is given), then adds it. */
  async learnTask(_task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void): Promise<void> {
    for await (const batch of batches) {
      if (onPredicted) onPredicted(batch, this.predict(batch.x, batch.rows));
      this.update(batch.x, batch.labels);
    }
  }

  /** Nothing to free: the statistics are plain arrays. */
  dispose(): void {}
}

/**
 * Continual-learning metrics (Lopez-Paz & Ranzato 2017, "Gradient Episodic Memory for Continual
 * Learning", §3): the accuracy matrix and the average accuracy, backward and forward transfer read
 * from it; and the prequential (test-then-train) error over the training stream. Pure functions.
 *
 * Notation: T tasks; R[i][j] the accuracy on task j's test rows after learning tasks 0..i (in the
 * scenario's order); b̄_j the accuracy on task j of the method before any training.
 */
import { types } from 'node:util';
import { rangeError, typeError } from '../errors';

/** T × T accuracies, R[i][j] ∈ [0, 1]: the accuracy on task j's test rows after learning task i. */
export type AccuracyMatrix = readonly (readonly number[])[];

/** The three summary figures of an accuracy matrix. */
export interface TransferMetrics {
  /** ACC = (1/T) Σ_j R[T−1][j]. */
  acc: number;
  /** BWT = (1/(T−1)) Σ_{j<T−1} (R[T−1][j] − R[j][j]); NaN when T = 1. Negative: forgetting. */
  bwt: number;
  /** FWT = (1/(T−1)) Σ_{j>0} (R[j−1][j] − b̄_j); NaN when T = 1. Positive: learning earlier tasks helps later ones before they are seen. */
  fwt: number;
}

function checkProbability(value: unknown, name: string): number {
  if (typeof value !== 'number') throw typeError(name, 'an accuracy, a number in [0, 1]', value);
  if (!(value >= 0 && value <= 1)) throw rangeError(name, 'an accuracy, a number in [0, 1]', value);
  return value;
}

/** Throws unless R is a non-empty square matrix of accuracies in [0, 1]; returns T. */
export function checkMatrix(R: AccuracyMatrix, name = 'R'): number {
  if (!Array.isArray(R)) throw typeError(name, 'a T × T array of accuracies', R);
  const T = R.length;
  if (T === 0) throw rangeError(`${name}.length`, 'at least 1 (one row per task)', T);
  R.forEach((row, i) => {
    if (!Array.isArray(row)) throw typeError(`${name}[${i}]`, `an array of ${T} accuracies`, row);
    if (row.length !== T) throw rangeError(`${name}[${i}].length`, `${T} (a square matrix)`, row.length);
    row.forEach((v, j) => checkProbability(v, `${name}[${i}][${j}]`));
  });
  return T;
}

function checkBaseline(baseline: readonly number[], T: number): void {
  if (!Array.isArray(baseline)) throw typeError('baseline', `an array of ${T} accuracies`, baseline);
  if (baseline.length !== T) throw rangeError('baseline.length', `${T} (one per task)`, baseline.length);
  baseline.forEach((v, j) => checkProbability(v, `baseline[${j}]`));
}

const mean = (values: number[]): number => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);

/** Average accuracy after the last task: ACC = (1/T) Σ_{j=0}^{T−1} R[T−1][j]. */
export function averageAccuracy(R: AccuracyMatrix): number {
  const T = checkMatrix(R);
  return mean([...R[T - 1]]);
}

/**
 * Backward transfer: BWT = (1/(T−1)) Σ_{j=0}^{T−2} (R[T−1][j] − R[j][j]), how much learning the later
 * tasks changed the accuracy on each earlier task (negative: forgetting). NaN when T = 1.
 */
export function backwardTransfer(R: AccuracyMatrix): number {
  const T = checkMatrix(R);
  return mean(Array.from({ length: T - 1 }, (_, j) => R[T - 1][j] - R[j][j]));
}

/**
 * Forward transfer: FWT = (1/(T−1)) Σ_{j=1}^{T−1} (R[j−1][j] − b̄_j), the accuracy on each task just
 * before it is learned, against the untrained method's b̄_j. NaN when T = 1.
 * @param baseline b̄: T accuracies of the method before any training.
 */
export function forwardTransfer(R: AccuracyMatrix, baseline: readonly number[]): number {
  const T = checkMatrix(R);
  checkBaseline(baseline, T);
  return mean(Array.from({ length: T - 1 }, (_, k) => R[k][k + 1] - baseline[k + 1]));
}

/** ACC, BWT and FWT of an accuracy matrix and its baseline b̄. */
export function transferMetrics(R: AccuracyMatrix, baseline: readonly number[]): TransferMetrics {
  return { acc: averageAccuracy(R), bwt: backwardTransfer(R), fwt: forwardTransfer(R, baseline) };
}

/** The fraction of `predicted` equal to `labels` (same length, ≥ 1). */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) throw rangeError('predicted.length', `${labels.length} (one per label)`, predicted.length);
  if (labels.length === 0) throw rangeError('labels.length', 'at least 1', 0);
  let correct = 0;
  for (let r = 0; r < labels.length; ++r) if (predicted[r] === labels[r]) ++correct;
  return correct / labels.length;
}

/** The prequential error of a stream, per task and overall. */
export interface PrequentialSummary {
  /** Per training row, in stream order: 1 when the prediction made before learning it was wrong, 0 when right, NaN when no prediction was reported. */
  curve: Float64Array;
  /** Per task: the mean of its rows' errors (over the rows that have one; NaN when none has). */
  perTask: number[];
  /** The mean error over every row that has one (NaN when none has). */
  mean: number;
}

/**
 * The prequential (test-then-train) error: each training row is predicted by the method as it stood
 * before learning it (its batch's predictions come before the batch is learned); error_t = [ŷ_t ≠ y_t].
 * perTask[i] = mean of error_t over task i's rows; rows without a prediction (NaN) are left out of the means.
 * @param curve the 0/1 error per row, tasks one after the other.
 * @param taskRows rows per task, summing to curve.length.
 */
export function prequentialSummary(curve: Float64Array, taskRows: readonly number[]): PrequentialSummary {
  if (!types.isFloat64Array(curve)) throw typeError('curve', 'a Float64Array of per-row errors', curve);
  if (!Array.isArray(taskRows)) throw typeError('taskRows', 'an array of row counts', taskRows);
  const total = taskRows.reduce((a, b) => a + b, 0);
  if (total !== curve.length) throw rangeError('taskRows', `counts summing to curve.length (${curve.length})`, `a sum of ${total}`);
  const meanOf = (from: number, to: number): number => {
    let sum = 0;
    let count = 0;
    for (let t = from; t < to; ++t) {
      if (Number.isNaN(curve[t])) continue;
      sum += curve[t];
      ++count;
    }
    return count === 0 ? NaN : sum / count;
  };
  let start = 0;
  const perTask = taskRows.map((rows) => {
    const m = meanOf(start, start + rows);
    start += rows;
    return m;
  });
  return { curve, perTask, mean: meanOf(0, curve.length) };
}

/**
 * The running error as the command line's `train` reports it: err_0 = `start`, then per row
 * err_t = (1 − c)·err_{t−1} + c·error_t (rows without a prediction leave it unchanged). For plots.
 * @param coefficient c in (0, 1]. Default 0.01.
 * @param start err before the first row. Default 1.
 */
export function runningError(curve: Float64Array, coefficient = 0.01, start = 1): Float64Array {
  if (!types.isFloat64Array(curve)) throw typeError('curve', 'a Float64Array of per-row errors', curve);
  if (typeof coefficient !== 'number' || !(coefficient > 0 && coefficient <= 1)) throw rangeError('coefficient', 'a number in (0, 1]', coefficient);
  const out = new Float64Array(curve.length);
  let err = start;
  for (let t = 0; t < curve.length; ++t) {
    if (!Number.isNaN(curve[t])) err = (1 - coefficient) * err + coefficient * curve[t];
    out[t] = err;
  }
  return out;
}

import { rangeError } from './errors';
import * as check from './validate';

/** Options of {@link basisEntropy}. */
export interface EntropyOptions {
  /** Equal-width bins per dimension, an integer ≥ 1. */
  bins: number;
  /** Lower end of the binned domain; smaller values fall in the first bin. */
  min: number;
  /** Upper end of the binned domain; larger values fall in the last bin. */
  max: number;
}

/**
 * Basis-wise entropy of N codes of D dimensions (the original program's helper): each dimension is
 * binned into `bins` equal bins over [min, max], and the result is
 * D·log N − Σ_dims Σ_bins c·log c / N, with c the count of a bin (natural logarithms). It is the
 * sum of the dimensions' binned entropies: high when each code dimension is spread out.
 * @param codes N × dimensions values, row-major.
 */
export function basisEntropy(codes: Float32Array, dimensions: number, options: EntropyOptions): number {
  const D = check.integer(dimensions, 'dimensions', 1, 2 ** 31 - 1);
  const N = check.batch(codes, 'codes', D, 'dimensions');
  const o = check.options(options, 'options', ['bins', 'min', 'max'] as const);
  const bins = check.integer(o.bins, 'options.bins', 1, 1 << 24);
  const min = check.finiteNumber(o.min, 'options.min', -Number.MAX_VALUE, Number.MAX_VALUE);
  const max = check.finiteNumber(o.max, 'options.max', -Number.MAX_VALUE, Number.MAX_VALUE);
  if (!(max > min)) throw rangeError('options.max', `greater than options.min (${min})`, max);

  const counts = new Float64Array(bins);
  let sum = 0;
  for (let dim = 0; dim < D; ++dim) {
    counts.fill(0);
    for (let r = 0; r < N; ++r) {
      const value = codes[r * D + dim];
      if (!Number.isFinite(value)) throw rangeError(`codes[${r * D + dim}]`, 'a finite number', value);
      const bin = Math.floor(((value - min) / (max - min)) * bins);
      counts[Math.min(bins - 1, Math.max(0, bin))] += 1;
    }
    for (const c of counts) if (c > 0) sum += c * Math.log(c);
  }
  return D * Math.log(N) - sum / N;
}

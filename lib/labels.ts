import * as check from './validate';
import { rangeError, typeError } from './errors';

/**
 * One-hot rows for integer class labels: row r has a 1 at column labels[r] and zeros elsewhere.
 * @param labels m class indices in [0, classes).
 * @returns m × classes values, ready as the `y` of {@link Autoencoder.collect}.
 */
export function oneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number')
    throw typeError('labels', 'an array or typed array of class indices', labels);
  const k = check.integer(classes, 'classes', 1, 1 << 20);
  const out = new Float32Array(labels.length * k);
  for (let r = 0; r < labels.length; ++r) {
    const c = labels[r];
    if (!Number.isInteger(c) || c < 0 || c >= k) throw rangeError(`labels[${r}]`, `an integer in [0, ${k - 1}]`, c);
    out[r * k + c] = 1;
  }
  return out;
}

import { Autoencoder, AutoencoderOptions } from '../lib';
import * as ref from './reference';

/** A reference stack holding the same initial weights as the native model. */
export function referenceOf(model: Autoencoder): ref.RefLayer[] {
  return model.config.layers.map((_, i) => {
    const s = model.layer(i);
    return ref.refLayer(s.inputSize, s.codeSize, s.W);
  });
}

export function rowsOf(a: Float32Array, width: number): Float32Array[] {
  return Array.from({ length: a.length / width }, (_, r) => a.subarray(r * width, (r + 1) * width));
}

export function joint(x: Float32Array, y: Float32Array | null, inputSize: number, labelSize: number): number[][] {
  return rowsOf(x, inputSize).map((row, r) => [...row, ...(y ? y.subarray(r * labelSize, (r + 1) * labelSize) : new Float32Array(labelSize))]);
}

/** Small model with weights large enough that every term of every equation matters. */
export function smallOptions(statistics: 'ema' | 'cumulative'): AutoencoderOptions {
  return { inputSize: 5, labelSize: 3, layers: [6, 4], statistics, seed: 3, initScale: 0.3 };
}

/**
 * float32 tolerance for a quantity of magnitude `scale` computed through sums of `terms` products:
 * each rounding is at most 2⁻²⁴ relative, and the errors of a sum add up at worst linearly.
 */
export function f32Tolerance(scale: number, terms: number): number {
  return 4 * terms * 2 ** -24 * Math.max(scale, 1e-3);
}

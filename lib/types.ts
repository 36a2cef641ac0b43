/** The results the model returns: produced by the native binding, typed once for both layers. */

/** The result of `Autoencoder.infer` for m rows. */
export interface Inference {
  /** m predicted labels: the index of the largest completed label value. */
  labels: Int32Array;
  /** m × labelSize completed label values ŷ. */
  scores: Float32Array;
  /** m × inputSize reconstructed inputs x̂ (from the same decode as `scores`). */
  reconstruction: Float32Array;
  /** m × top code size: the codes after the last update. */
  codes: Float32Array;
  /** m values of ‖x - x̂‖² + residue for the decode `scores` were read from. */
  loss: Float64Array;
}

/** The result of `Autoencoder.decode` for m codes. */
export interface Decoded {
  /** m × inputSize. */
  x: Float32Array;
  /** m × labelSize. */
  y: Float32Array;
  /** m values: the stack's residue (sum over layers) per row. */
  residue: Float64Array;
}

/** A copy of one layer's state. Mirrored size d = 2 × inputSize; matrices are row-major. */
export interface LayerState {
  /** n: values per input row of this layer. */
  inputSize: number;
  /** k: values per code. */
  codeSize: number;
  /** d × k tied weights. */
  W: Float32Array;
  /** d: bias subtracted before encoding. */
  b: Float32Array;
  /** d: running mean of the mirrored input. */
  B: Float32Array;
  /** d × d: running second moment of (mirrored input − b), symmetric. */
  C: Float32Array;
  /** Rows collected. */
  N: number;
  /**
   * Product of the moving average's decay factors since negligible statistics were last flushed to
   * zero (in (0, 1]; the flush keeps float32 statistics out of slow denormal numbers). Part of the
   * state so that a restored model flushes exactly when the original would have.
   */
  decaySinceFlush: number;
  /** Adam state of W: moments m, v (d × k) and step count t. */
  adam: { m: Float32Array; v: Float32Array; t: number };
}

/**
 * The per-class moments of a model with `upperStatistics: 'replay'`: for each class c (the label
 * values' argmax; the last class holds rows collected without a label) the weight w_c of its rows,
 * and the mean and covariance of its mirrored joint rows (d = 2 × (inputSize + labelSize)).
 */
export interface ClassMomentsState {
  /** labelSize + 1 weights: rows collected (cumulative) or their decayed weight (ema); 0 for a class not seen. */
  weight: Float64Array;
  /** Per class: d values, or null for a class not seen. */
  mean: (Float32Array | null)[];
  /** Per class: d × d, symmetric, or null for a class not seen. */
  covariance: (Float32Array | null)[];
}

/** Everything a model has learned, taken at one moment. */
export interface ModelSnapshot {
  layers: LayerState[];
  /** The class moments of a replaying model, else null. */
  classes: ClassMomentsState | null;
}

/** The trace objective of one layer at its current weights, with its gradient (d × k). */
export interface ObjectiveGradient {
  value: number;
  gradient: Float32Array;
}

/** The completion loss ‖x - x̂(h)‖² + residue(h) per row and its gradient with respect to the codes h. */
export interface CompletionGradient {
  loss: Float64Array;
  gradient: Float32Array;
}

/**
 * A model's configuration: the constructor's options, their defaults and their checks, shared by
 * the constructor and by checkpoints (which store the configuration and rebuild from it).
 */
import * as os from 'node:os';

import { rangeError, typeError } from './errors';
import * as check from './validate';

/** How a layer's statistics weigh the rows it has seen. */
export type StatisticsMode =
  /** Moving average with significance α per row (the original program's only mode): recent rows weigh more, old ones decay. */
  | 'ema'
  /** The exact mean and covariance of every row ever collected: nothing decays, the result does not depend on row order. */
  | 'cumulative';

/** The optimiser of the layers' weights. */
export type Solver =
  /** Adam steps on the trace objective, as the original (TensorFlow 1's Adam): `learn({ steps })` takes `steps` of them. */
  | 'adam'
  /**
   * Orthogonal iteration warm-started from the current weights, W ← orth(C·W), then a Rayleigh–Ritz
   * rotation: `learn({ steps })` runs `steps` iterations, each costing about one Adam step.
   */
  | 'subspace'
  /** The exact minimiser: the top-k eigenvectors of C (LAPACK ssyevr); `learn()` solves once, whatever `steps` (> 0). */
  | 'eig';

/** Where the statistics of the layers above the first come from. */
export type UpperStatistics =
  /** Each layer collects the codes the layer below passes up, through that layer's weights of the time (the original). */
  | 'collected'
  /**
   * Statistical replay: the first layer's input is also summarised per class (the label's argmax;
   * one more class for unlabelled rows) by its mean and covariance, and every learn re-derives the
   * upper layers' statistics from those moments through the lower layers as they are then (a
   * Gaussian per class at the first code, sampled). Upper layers collect nothing. A deep stack then
   * keeps describing old data after its lower layers move; see the README's "Deep stacks".
   */
  | 'replay'
  /**
   * Moment propagation: the same per-class moments, pushed up in closed form instead of by samples
   * (a Gaussian per class at every layer; the mirroring ReLU's effect on its mean and covariance is
   * exact). No sampling noise; one more approximation per layer.
   */
  | 'moments';

/**
 * Where the model keeps its state and computes.
 * - `'cpu'`: OpenBLAS on the host's cores (always available).
 * - `'cuda'`: an NVIDIA GPU (device 0, or the first of `CUDA_VISIBLE_DEVICES`), through the package's
 *   CUDA plugin and the CUDA toolkit's cuBLAS (`libcublas.so.13` or `.12`), loaded only when asked for.
 *   Without the plugin, a driver, a GPU or cuBLAS, the constructor throws an `Error` with code
 *   `ERR_INDEE_DEVICE_UNAVAILABLE` saying which is missing; CPU models are never affected.
 *   The results equal the CPU's up to float32 rounding (different summation orders), not bit for bit.
 */
export type Device = 'cpu' | 'cuda';

/** Options of {@link Autoencoder}'s constructor. */
export interface AutoencoderOptions {
  /** Values per input row (784 for MNIST images). */
  inputSize: number;
  /** Values per label row (10 for one-hot MNIST digits); 0 for a plain autoencoder. */
  labelSize: number;
  /** Code sizes, bottom to top, e.g. `[400, 250, 150]`. */
  layers: readonly number[];
  /** Adam learning rate of {@link Autoencoder.learn} and {@link Autoencoder.infer}. Default 0.01. */
  rate?: number;
  /** Statistics mode of every layer. Default `'ema'` (the original's). */
  statistics?: StatisticsMode;
  /** Optimiser of the weights. Default `'adam'` (the original's, TensorFlow 1 form). */
  solver?: Solver;
  /**
   * Seed of the initial weights: a safe integer ≥ 0. Default 1. The same seed gives the same model
   * and the same results on every run (see the README for the generator).
   */
  seed?: number;
  /** Initial weights are uniform in [-initScale, initScale). Default 0.0005 (the original's). */
  initScale?: number;
  /** Default `'collected'` (the original's). */
  upperStatistics?: UpperStatistics;
  /** Samples per class of `'replay'`, an integer in [1, 1000000]. Default 1000. */
  replaySamples?: number;
  /** Default `'cpu'`. Not stored in checkpoints: a checkpoint loads on any device (see {@link Autoencoder.load}). */
  device?: Device;
}

/** The complete, frozen configuration of a model (its options with defaults filled in). */
export interface AutoencoderConfig {
  readonly inputSize: number;
  readonly labelSize: number;
  readonly layers: readonly number[];
  readonly rate: number;
  readonly statistics: StatisticsMode;
  readonly solver: Solver;
  readonly seed: number;
  readonly initScale: number;
  readonly upperStatistics: UpperStatistics;
  readonly replaySamples: number;
  readonly device: Device;
}

const OPTION_KEYS = ['inputSize', 'labelSize', 'layers', 'rate', 'statistics', 'solver', 'seed', 'initScale', 'upperStatistics', 'replaySamples', 'device'] as const;
const MAX_SIZE = 1 << 20;

/**
 * The frozen configuration for constructor options (or a checkpoint's stored configuration), every
 * field checked, defaults filled in.
 * @throws TypeError / RangeError naming the first bad option.
 */
export function configure(options: unknown): AutoencoderConfig {
  if (options === undefined) throw rangeError('options', 'an object with inputSize, labelSize and layers', options);
  const o = check.options(options, 'options', OPTION_KEYS);
  const layers = o.layers;
  if (!Array.isArray(layers)) throw typeError('options.layers', 'an array of code sizes, e.g. [400, 250, 150]', layers);
  if (layers.length === 0) throw rangeError('options.layers', 'a non-empty array of code sizes', layers);
  const config: AutoencoderConfig = Object.freeze({
    inputSize: check.integer(o.inputSize, 'options.inputSize', 1, MAX_SIZE),
    labelSize: check.integer(o.labelSize, 'options.labelSize', 0, MAX_SIZE),
    layers: Object.freeze(layers.map((k: unknown, i: number) => check.integer(k, `options.layers[${i}]`, 1, MAX_SIZE))),
    rate: o.rate === undefined ? 0.01 : float32Positive(check.finiteNumber(o.rate, 'options.rate', 0, 1e6, true), 'options.rate'),
    statistics: o.statistics === undefined ? 'ema' : check.choice(o.statistics, 'options.statistics', ['ema', 'cumulative'] as const),
    solver: o.solver === undefined ? 'adam' : check.choice(o.solver, 'options.solver', ['adam', 'subspace', 'eig'] as const),
    seed: o.seed === undefined ? 1 : check.integer(o.seed, 'options.seed', 0, Number.MAX_SAFE_INTEGER),
    initScale: o.initScale === undefined ? 0.0005 : check.finiteNumber(o.initScale, 'options.initScale', 0, 1e6),
    upperStatistics:
      o.upperStatistics === undefined ? 'collected' : check.choice(o.upperStatistics, 'options.upperStatistics', ['collected', 'replay', 'moments'] as const),
    replaySamples: o.replaySamples === undefined ? 1000 : check.integer(o.replaySamples, 'options.replaySamples', 1, 1_000_000),
    device: o.device === undefined ? 'cpu' : check.choice(o.device, 'options.device', ['cpu', 'cuda'] as const),
  });
  checkMemory(config);
  return config;
}

/**
 * Bytes a model keeps, in float32: per layer its state — C (d²), W and its Adam moments (3dk), b and
 * B (2d) — and the workspace learning keeps between calls (the gradient and three d × k buffers of
 * the objective, 4dk, two k × k products, and the copy of W and its moments that lets a failed
 * learn be undone, 3dk); with replayed upper statistics, at most labelSize + 1 classes' mean and
 * covariance of the first layer's input (d₀ + d₀², allocated as classes are seen) and the copy of the
 * upper layers' statistics kept during a learn (d² + 2d each).
 */
export function stateBytes(config: Pick<AutoencoderConfig, 'inputSize' | 'labelSize' | 'layers'> & Partial<Pick<AutoencoderConfig, 'upperStatistics'>>): number {
  const replaying = config.upperStatistics !== undefined && config.upperStatistics !== 'collected';
  let n = config.inputSize + config.labelSize;
  let floats = replaying ? (config.labelSize + 1) * (2 * n + 4 * n * n) : 0;
  config.layers.forEach((k, layer) => {
    const d = 2 * n;
    floats += d * d + 3 * d * k + 2 * d + 7 * d * k + 2 * k * k;
    if (replaying && layer > 0) floats += d * d + 2 * d;
    n = k;
  });
  return 4 * floats;
}

/** The model computes in float32: a positive number that rounds to 0 there would be refused natively. */
function float32Positive(x: number, name: string): number {
  if (Math.fround(x) === 0) throw rangeError(name, 'a number > 0 in float32 (at least 2^-149)', x);
  return x;
}

function checkMemory(config: AutoencoderConfig): void {
  const bytes = stateBytes(config);
  const limit = os.totalmem() / 2;
  if (bytes > limit) {
    const gib = (x: number) => `${(x / 2 ** 30).toFixed(1)} GiB`;
    throw rangeError(
      'options.layers',
      `sizes whose state fits in half of this machine's memory (${gib(limit)}; each layer keeps a (2n)² correlation matrix)`,
      `[${config.layers.join(', ')}] over ${config.inputSize + config.labelSize} inputs, needing ${gib(bytes)}`,
    );
  }
}


import * as os from 'node:os';

import { binding, NativeModel } from './binding';
import type { CompletionGradient, Decoded, Inference, LayerState, ObjectiveGradient } from './types';
import { rangeError, typeError } from './errors';
import * as check from './validate';

/** How a layer's statistics weigh the rows it has seen. */
export type StatisticsMode =
  /** Moving average with significance α per row (the original program's only mode): recent rows weigh more, old ones decay. */
  | 'ema'
  /** The exact mean and covariance of every row ever collected: nothing decays, the result does not depend on row order. */
  | 'cumulative';

/** How a batch of rows enters moving-average statistics. */
export type BatchSemantics =
  /** Exactly as if the rows were collected one at a time, in order (a weighted rank-m update). */
  | 'sequential'
  /** The original program's batch form: C ← α·Σ zzᵀ + (1-α)·C at once, every row centred on the bias before the call. */
  | 'sum';

/** The optimiser of the layers' weights. */
export type Solver = 'adam';

/** Where the model computes. */
export type Device = 'cpu';

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
  /** Default `'cpu'`. */
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
  readonly device: Device;
}

/** Options of {@link Autoencoder.collect}. */
export interface CollectOptions {
  /** Significance α of each row in moving-average statistics, in [0, 1]. Default 0.01. Ignored by cumulative statistics. */
  alpha?: number;
  /** Default `'sequential'`. */
  batch?: BatchSemantics;
}

/** Options of {@link Autoencoder.learn}. */
export interface LearnOptions {
  /** Optimiser steps per layer, an integer ≥ 0. Default 100 (the original's). */
  steps?: number;
}

/** Options of {@link Autoencoder.infer} and {@link Autoencoder.classify}. */
export interface InferOptions {
  /** Adam steps on each row's top code, an integer ≥ 0. Default 100 (the original's). */
  steps?: number;
}

const OPTION_KEYS = ['inputSize', 'labelSize', 'layers', 'rate', 'statistics', 'solver', 'seed', 'initScale', 'device'] as const;
const MAX_SIZE = 1 << 20;
const MAX_STEPS = 100_000_000;

function configure(options: unknown): AutoencoderConfig {
  if (options === undefined) throw rangeError('options', 'an object with inputSize, labelSize and layers', options);
  const o = check.options(options, 'options', OPTION_KEYS);
  const layers = o.layers;
  if (!Array.isArray(layers)) throw typeError('options.layers', 'an array of code sizes, e.g. [400, 250, 150]', layers);
  if (layers.length === 0) throw rangeError('options.layers', 'a non-empty array of code sizes', layers);
  const config: AutoencoderConfig = Object.freeze({
    inputSize: check.integer(o.inputSize, 'options.inputSize', 1, MAX_SIZE),
    labelSize: check.integer(o.labelSize, 'options.labelSize', 0, MAX_SIZE),
    layers: Object.freeze(layers.map((k: unknown, i: number) => check.integer(k, `options.layers[${i}]`, 1, MAX_SIZE))),
    rate: o.rate === undefined ? 0.01 : check.finiteNumber(o.rate, 'options.rate', 0, 1e6, true),
    statistics: o.statistics === undefined ? 'ema' : check.choice(o.statistics, 'options.statistics', ['ema', 'cumulative'] as const),
    solver: o.solver === undefined ? 'adam' : check.choice(o.solver, 'options.solver', ['adam'] as const),
    seed: o.seed === undefined ? 1 : check.integer(o.seed, 'options.seed', 0, Number.MAX_SAFE_INTEGER),
    initScale: o.initScale === undefined ? 0.0005 : check.finiteNumber(o.initScale, 'options.initScale', 0, 1e6),
    device: o.device === undefined ? 'cpu' : check.choice(o.device, 'options.device', ['cpu'] as const),
  });
  checkMemory(config);
  return config;
}

/** Bytes of state: per layer C (d²), W and its Adam moments (3dk), b and B (2d), in float32. */
export function stateBytes(config: Pick<AutoencoderConfig, 'inputSize' | 'labelSize' | 'layers'>): number {
  let n = config.inputSize + config.labelSize;
  let floats = 0;
  for (const k of config.layers) {
    const d = 2 * n;
    floats += d * d + 3 * d * k + 2 * d;
    n = k;
  }
  return 4 * floats;
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

/**
 * A stacked autoencoder that learns only from streaming statistics of its data: per layer a
 * running mean and second-moment matrix, from which the weights are fitted. Inputs and labels are
 * tied into one joint vector [x, y]; a label is predicted by completing that vector.
 *
 * Inputs are row-major `Float32Array`s of m rows. Every heavy method has a Promise twin
 * (`...Async`) that runs off the event loop; async calls on one model run one at a time in call
 * order, and a synchronous call while any is pending throws `ERR_INDEE_BUSY`.
 */
export class Autoencoder {
  /** The model's configuration, defaults filled in. */
  readonly config: AutoencoderConfig;
  readonly #native: NativeModel;
  #disposed = false;

  /** @throws TypeError / RangeError for options of the wrong type or value. */
  constructor(options: AutoencoderOptions) {
    this.config = configure(options);
    const { inputSize, labelSize, rate, statistics, seed, initScale } = this.config;
    this.#native = new (binding().NativeModel)({ inputSize, labelSize, layers: [...this.config.layers], rate, statistics, seed, initScale });
  }

  /** Number of layers. */
  get depth(): number {
    return this.config.layers.length;
  }

  /** Values per top-layer code. */
  get codeSize(): number {
    return this.config.layers[this.config.layers.length - 1];
  }

  /** True once {@link Autoencoder.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** Number of async operations started and not yet settled. */
  get pending(): number {
    return this.#native.pending();
  }

  /**
   * Adds m rows to every layer's statistics, bottom-up (each layer's codes feed the next), and sets
   * each layer's bias b to its running mean. Stores no rows.
   * @param x m × inputSize values.
   * @param y m × labelSize label values (one-hot for classes), or null/undefined when unknown (zeros).
   */
  collect(x: Float32Array, y?: Float32Array | null, options?: CollectOptions): void {
    const args = this.#collectArgs(x, y, options);
    this.#native.collect(...args);
  }

  /** {@link Autoencoder.collect} off the event loop. The arrays are copied at the call. */
  async collectAsync(x: Float32Array, y?: Float32Array | null, options?: CollectOptions): Promise<void> {
    const args = this.#collectArgs(x, y, options);
    return this.#native.collectAsync(...args);
  }

  /**
   * Runs `steps` optimiser steps on every layer's weights against its trace objective
   * f(W) = tr((I − WWᵀ) C (I − WWᵀ)).
   * @returns per layer, f at the weights the last step started from (the current f when steps is 0).
   */
  learn(options?: LearnOptions): Float64Array {
    return this.#native.learn(this.#steps(options));
  }

  /** {@link Autoencoder.learn} off the event loop. */
  async learnAsync(options?: LearnOptions): Promise<Float64Array> {
    return this.#native.learnAsync(this.#steps(options));
  }

  /** The trace objective of every layer at its current weights. */
  objectives(): Float64Array {
    return this.#native.objectives();
  }

  /** {@link Autoencoder.objectives} off the event loop. */
  async objectivesAsync(): Promise<Float64Array> {
    return this.#native.objectivesAsync();
  }

  /** One layer's trace objective and its gradient ∇f = −4CW + 2CW(WᵀW) + 2W(WᵀCW), at the current weights. */
  objectiveGradient(layer: number): ObjectiveGradient {
    return this.#native.objectiveGradient(this.#layerIndex(layer, 'layer'));
  }

  /** {@link Autoencoder.objectiveGradient} off the event loop. */
  async objectiveGradientAsync(layer: number): Promise<ObjectiveGradient> {
    return this.#native.objectiveGradientAsync(this.#layerIndex(layer, 'layer'));
  }

  /**
   * Encodes m rows bottom-up to their top codes (m × codeSize), without touching the statistics.
   * @param y labels, or null/undefined for zeros (unknown).
   */
  encode(x: Float32Array, y?: Float32Array | null): Float32Array {
    return this.#native.encode(...this.#joint(x, y));
  }

  /** {@link Autoencoder.encode} off the event loop. */
  async encodeAsync(x: Float32Array, y?: Float32Array | null): Promise<Float32Array> {
    return this.#native.encodeAsync(...this.#joint(x, y));
  }

  /** Decodes m top codes (m × codeSize) top-down into inputs, labels and residues. */
  decode(codes: Float32Array): Decoded {
    return this.#native.decode(this.#codes(codes));
  }

  /** {@link Autoencoder.decode} off the event loop. */
  async decodeAsync(codes: Float32Array): Promise<Decoded> {
    return this.#native.decodeAsync(this.#codes(codes));
  }

  /**
   * Completes the label of m inputs: starting from the codes of [x, 0], runs `steps` Adam steps per
   * row (a fresh optimiser per row) on the top code minimising ‖x − x̂‖² + residue, and reads ŷ from
   * the decode of the code before the last update (as the original did).
   */
  infer(x: Float32Array, options?: InferOptions): Inference {
    return this.#native.infer(...this.#inferArgs(x, options));
  }

  /** {@link Autoencoder.infer} off the event loop. */
  async inferAsync(x: Float32Array, options?: InferOptions): Promise<Inference> {
    return this.#native.inferAsync(...this.#inferArgs(x, options));
  }

  /** The m predicted labels of {@link Autoencoder.infer}. */
  classify(x: Float32Array, options?: InferOptions): Int32Array {
    return this.infer(x, options).labels;
  }

  /** {@link Autoencoder.classify} off the event loop. */
  async classifyAsync(x: Float32Array, options?: InferOptions): Promise<Int32Array> {
    return (await this.inferAsync(x, options)).labels;
  }

  /** The completion loss of codes (m × codeSize) against inputs x (m × inputSize), and its gradient: what {@link Autoencoder.infer} descends. */
  completionGradient(x: Float32Array, codes: Float32Array): CompletionGradient {
    return this.#native.completionGradient(...this.#completionArgs(x, codes));
  }

  /** {@link Autoencoder.completionGradient} off the event loop. */
  async completionGradientAsync(x: Float32Array, codes: Float32Array): Promise<CompletionGradient> {
    return this.#native.completionGradientAsync(...this.#completionArgs(x, codes));
  }

  /** A copy of layer `index`'s state (0 is the bottom layer). */
  layer(index: number): LayerState {
    return this.#native.layerState(this.#layerIndex(index, 'index'));
  }

  /**
   * Frees the native memory now instead of at garbage collection. Later calls throw
   * `ERR_INDEE_DISPOSED`; async operations already started still complete.
   */
  dispose(): void {
    this.#disposed = true;
    this.#native.dispose();
  }

  #collectArgs(x: Float32Array, y: Float32Array | null | undefined, options: CollectOptions | undefined) {
    const [xs, ys] = this.#joint(x, y);
    const o = check.options(options, 'options', ['alpha', 'batch'] as const);
    const alpha = o.alpha === undefined ? 0.01 : check.finiteNumber(o.alpha, 'options.alpha', 0, 1);
    const batch = o.batch === undefined ? 'sequential' : check.choice(o.batch, 'options.batch', ['sequential', 'sum'] as const);
    return [xs, ys, alpha, batch] as const;
  }

  #joint(x: Float32Array, y: Float32Array | null | undefined): [Float32Array, Float32Array | null] {
    const m = check.batch(x, 'x', this.config.inputSize, 'inputSize');
    if (y === undefined || y === null) return [x, null];
    check.rows(y, 'y', this.config.labelSize, m, 'labelSize');
    return [x, y];
  }

  #completionArgs(x: Float32Array, codes: Float32Array): [Float32Array, Float32Array] {
    const m = check.batch(x, 'x', this.config.inputSize, 'inputSize');
    check.rows(codes, 'codes', this.codeSize, m, 'top code size');
    return [x, codes];
  }

  #layerIndex(index: number, name: string): number {
    return check.integer(index, name, 0, this.depth - 1);
  }

  #codes(codes: Float32Array): Float32Array {
    check.batch(codes, 'codes', this.codeSize, 'top code size');
    return codes;
  }

  #steps(options: LearnOptions | InferOptions | undefined): number {
    const o = check.options(options, 'options', ['steps'] as const);
    return o.steps === undefined ? 100 : check.integer(o.steps, 'options.steps', 0, MAX_STEPS);
  }

  #inferArgs(x: Float32Array, options: InferOptions | undefined): [Float32Array, number] {
    if (this.config.labelSize === 0) throw rangeError('labelSize', 'at least 1 to infer labels', 0);
    check.batch(x, 'x', this.config.inputSize, 'inputSize');
    return [x, this.#steps(options)];
  }
}

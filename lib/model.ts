import { binding, NativeModel } from './binding';
import { types } from 'node:util';

import { decodeCheckpoint, encodeCheckpoint, readCheckpointFile, writeFileAtomic, type CheckpointContents } from './checkpoint';
import { configure, type AutoencoderConfig, type AutoencoderOptions, type Device } from './config';
import { packageVersion } from './package-info';
import type { CompletionGradient, Decoded, Inference, LayerState, ObjectiveGradient } from './types';
import { formatError, rangeError, typeError } from './errors';
import * as check from './validate';

/** How a batch of rows enters moving-average statistics. */
export type BatchSemantics =
  /** Exactly as if the rows were collected one at a time, in order (a weighted rank-m update). */
  | 'sequential'
  /** The original program's batch form: C ← α·Σ zzᵀ + (1-α)·C at once, every row centred on the bias before the call. */
  | 'sum';

/** Options of {@link Autoencoder.collect}. */
export interface CollectOptions {
  /** Significance α of each row in moving-average statistics, in [0, 1]. Default 0.01. Ignored by cumulative statistics. */
  alpha?: number;
  /** Default `'sequential'`. */
  batch?: BatchSemantics;
}

/** Options of {@link Autoencoder.learn}. */
export interface LearnOptions {
  /** Adam steps or subspace iterations per layer ('eig' solves once when > 0), an integer ≥ 0. Default 100 (the original's). */
  steps?: number;
}

/** Options of {@link Autoencoder.save} and {@link Autoencoder.toBuffer}. */
export interface SaveOptions {
  /** String pairs stored with the model (for example a training run's progress), returned by {@link Autoencoder.inspect}. */
  metadata?: Readonly<Record<string, string>>;
}

/** What {@link Autoencoder.inspect} reports about a checkpoint. */
export interface CheckpointInfo {
  config: AutoencoderConfig;
  /** The `metadata` saved with the model. */
  metadata: Record<string, string>;
  /** The version of indeependence that wrote the file. */
  packageVersion: string;
  /** Per layer: its sizes, the rows its statistics have collected, and the optimiser steps taken on its weights. */
  layers: { inputSize: number; codeSize: number; rows: number; adamSteps: number }[];
}

/** Options of {@link Autoencoder.load}, {@link Autoencoder.loadWithInfo} and {@link Autoencoder.fromBuffer}. */
export interface LoadOptions {
  /** Where the loaded model runs. Default `'cpu'`: checkpoints do not record a device, so one saved on a GPU loads anywhere. */
  device?: Device;
}

/** Options of {@link Autoencoder.infer} and {@link Autoencoder.classify}. */
export interface InferOptions {
  /** Adam steps on each row's top code, an integer ≥ 0. Default 100 (the original's). */
  steps?: number;
}

const MAX_STEPS = 100_000_000;

function checkPath(file: unknown): string {
  if (typeof file !== 'string' || file === '') throw typeError('file', 'a non-empty path string', file);
  return file;
}

function infoOf({ config, metadata, packageVersion: writer, layers }: CheckpointContents): CheckpointInfo {
  let n = config.inputSize + config.labelSize;
  return {
    config,
    metadata,
    packageVersion: writer,
    layers: layers.map((state, i) => {
      const sizes = { inputSize: n, codeSize: config.layers[i] };
      n = config.layers[i];
      return { ...sizes, rows: state.N, adamSteps: state.adam.t };
    }),
  };
}

function loadDevice(options: LoadOptions | undefined): Device {
  const o = check.options(options, 'options', ['device'] as const);
  return o.device === undefined ? 'cpu' : check.choice(o.device, 'options.device', ['cpu', 'cuda'] as const);
}

function saveMetadata(options: SaveOptions | undefined): Record<string, string> {
  const o = check.options(options, 'options', ['metadata'] as const);
  if (o.metadata === undefined) return {};
  if (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))
    throw typeError('options.metadata', 'an object of strings', o.metadata);
  const metadata = o.metadata as Record<string, unknown>;
  for (const [key, value] of Object.entries(metadata)) if (typeof value !== 'string') throw typeError(`options.metadata.${key}`, 'a string', value);
  return { ...(metadata as Record<string, string>) };
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
    const { inputSize, labelSize, rate, statistics, solver, seed, initScale, upperStatistics, replaySamples, device } = this.config;
    this.#native = new (binding().NativeModel)({
      inputSize,
      labelSize,
      layers: [...this.config.layers],
      rate,
      statistics,
      solver,
      seed,
      initScale,
      upperStatistics,
      replaySamples,
      device,
    });
  }

  /** Number of layers. */
  get depth(): number {
    return this.config.layers.length;
  }

  /** What the model runs on, e.g. `'cpu'` or `'cuda (NVIDIA H200)'`. */
  get deviceName(): string {
    return this.#native.deviceName();
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
   * each layer's bias b to its running mean. Stores no rows. With `upperStatistics` `'replay'` or
   * `'moments'`, only the first layer and the per-class moments of its input collect: the upper
   * layers' statistics are derived from them at each {@link Autoencoder.learn}.
   * @throws RangeError for values beyond 1e18 in magnitude (their products would overflow the
   * float32 statistics).
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
   * Fits every layer's weights to its trace objective f(W) = tr((I − WWᵀ) C (I − WWᵀ)) with the
   * configured solver: `steps` Adam steps (`'adam'`), `steps` orthogonal iterations (`'subspace'`) or
   * one eigen-solve (`'eig'`); the fast solvers rotate their result onto the previous weights. With
   * replayed upper statistics, each upper layer's statistics are first re-derived through the layers
   * below as they have just learned. All or nothing: a learn that diverges throws
   * `ERR_INDEE_NUMERICAL` and leaves every layer as it was.
   * @returns per layer, f at the weights the last Adam step started from (as the original reported
   * it), or at the new weights for the other solvers; the current f when steps is 0.
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
   * The model's complete state as checkpoint bytes (safetensors; see {@link Autoencoder.save}).
   * Synchronous: throws `ERR_INDEE_BUSY` while async operations are pending.
   */
  toBuffer(options?: SaveOptions): Buffer {
    const metadata = saveMetadata(options);
    return encodeCheckpoint(this.config, this.#native.snapshot(), packageVersion, metadata);
  }

  /**
   * Saves the model's complete state — configuration, weights, statistics, counters and optimiser
   * state — to a safetensors file that any safetensors reader can open. The state is taken after
   * the async operations started before this call. The write is atomic: the file is either the
   * previous one or the complete new one, whatever happens meanwhile.
   */
  async save(file: string, options?: SaveOptions): Promise<void> {
    checkPath(file);
    const metadata = saveMetadata(options);
    const snapshot = await this.#native.snapshotAsync();
    await writeFileAtomic(file, encodeCheckpoint(this.config, snapshot, packageVersion, metadata));
  }

  /**
   * A model from checkpoint bytes made by {@link Autoencoder.toBuffer} or {@link Autoencoder.save}.
   * It continues exactly (bit for bit) as the saved model would have.
   * @throws Error with code `ERR_INDEE_FORMAT` naming the problem when the bytes are not a valid checkpoint.
   */
  static fromBuffer(buffer: Uint8Array, options?: LoadOptions): Autoencoder {
    if (!types.isUint8Array(buffer)) throw typeError('buffer', 'a Buffer or Uint8Array of checkpoint bytes', buffer);
    const device = loadDevice(options);
    return Autoencoder.#restored(decodeCheckpoint(buffer), 'checkpoint buffer', device);
  }

  /**
   * Loads a model saved by {@link Autoencoder.save}; every part of the file is checked before it is
   * trusted.
   * @throws Error with code `ERR_INDEE_FORMAT` naming the file and the problem.
   */
  static async load(file: string, options?: LoadOptions): Promise<Autoencoder> {
    const device = loadDevice(options);
    return Autoencoder.#restored(await readCheckpointFile(checkPath(file)), file, device);
  }

  /** A checkpoint's configuration, metadata and counters, after the same checks as {@link Autoencoder.load}. */
  static async inspect(file: string): Promise<CheckpointInfo> {
    return infoOf(await readCheckpointFile(checkPath(file)));
  }

  /** {@link Autoencoder.load} and {@link Autoencoder.inspect} in one read of the file (e.g. to resume a run recorded in the metadata). */
  static async loadWithInfo(file: string, options?: LoadOptions): Promise<{ model: Autoencoder; info: CheckpointInfo }> {
    const device = loadDevice(options);
    const contents = await readCheckpointFile(checkPath(file));
    return { model: Autoencoder.#restored(contents, file, device), info: infoOf(contents) };
  }

  static #restored({ config, layers, classes }: CheckpointContents, source: string, device: Device): Autoencoder {
    const model = new Autoencoder({ ...config, device });
    try {
      layers.forEach((state, i) => model.#native.restoreLayer(i, state));
      if (classes !== null) model.#native.restoreClassMoments(classes);
    } catch (cause) {
      model.dispose();
      throw Object.assign(formatError(source, `holds a state no model can have: ${(cause as Error).message}`), { cause });
    }
    return model;
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

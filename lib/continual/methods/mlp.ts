/**
 * The catastrophic-forgetting baselines: a multilayer perceptron (ReLU hidden layers, softmax
 * cross-entropy, Adam) trained by backpropagation in native code, used three ways —
 * fine-tuning (each task in turn: forgets), EWC (elastic weight consolidation, Kirkpatrick et al.
 * 2017: a quadratic penalty anchoring the weights the earlier tasks' Fisher information marks as
 * important) and joint training (the harness hands one task holding every task's rows; an upper
 * bound, possibly with more epochs). The math is written out in native/core/baselines/mlp.hpp.
 */
import { types } from 'node:util';

import { binding } from '../../binding';
import { rangeError, typeError, type CodedError } from '../../errors';
import * as check from '../../validate';
import { predict } from '../harness';
import type { ContinualMethod, Task, TaskBatch } from '../types';

/** What one training step of {@link NativeMlp} returns. */
export interface MlpStep {
  /** Mean cross-entropy of the batch at the weights before the step (without the EWC penalty). */
  loss: number;
  /** Argmax of each row's logits at the weights before the step. */
  predicted: Int32Array;
}

/**
 * The native network as the binding exports it (native/binding/mlp_wrap.hpp). Arrays are copied
 * at the call. Async calls on one network run in call order; a sync call while any is pending
 * throws `ERR_INDEE_BUSY`, and every call after `dispose()` throws `ERR_INDEE_DISPOSED`.
 */
export interface NativeMlp {
  /** One Adam step on the rows' mean cross-entropy (+ the EWC penalty once consolidated). x: rows × sizes[0]; labels: one class in [0, outputs) per row. */
  trainBatch(x: Float32Array, labels: Int32Array): MlpStep;
  trainBatchAsync(x: Float32Array, labels: Int32Array): Promise<MlpStep>;
  /** rows × outputs logits. */
  logits(x: Float32Array): Float32Array;
  logitsAsync(x: Float32Array): Promise<Float32Array>;
  /** Adds the rows' diagonal empirical Fisher F to the EWC statistics (A += F, B += F∘θ) and sets λ ≥ 0. */
  consolidate(x: Float32Array, labels: Int32Array, lambda: number): void;
  consolidateAsync(x: Float32Array, labels: Int32Array, lambda: number): Promise<void>;
  /** Frees the native memory (after the async calls already queued). */
  dispose(): void;
  /** Async calls started and not yet settled. */
  pending(): number;
}

/** Arguments of the {@link NativeMlp} constructor (checked again natively). */
export interface NativeMlpConfig {
  /** Layer sizes, inputs first, outputs last: at least two, each an integer in [1, 2²⁰]. */
  sizes: number[];
  /** Seed of the He-uniform initial weights, an integer in [0, 2⁵³ − 1]. */
  seed: number;
  /** Adam's learning rate, > 0. */
  rate: number;
}

/** The constructor of the native network. */
export type NativeMlpConstructor = new (config: NativeMlpConfig) => NativeMlp;

/** The addon's `NativeMlp` class (loading the addon on first use). */
export function mlpNative(): NativeMlpConstructor {
  return (binding() as unknown as { NativeMlp: NativeMlpConstructor }).NativeMlp;
}

/** Options of {@link MlpMethod}. */
export interface MlpOptions {
  /** Hidden layer sizes, bottom to top, each an integer in [1, 2²⁰]; [] is softmax regression. Default [400, 400]. */
  hidden?: readonly number[];
  /** Adam's learning rate, in (0, 1]. Default 0.001. */
  rate?: number;
  /** Rows per Adam step, an integer ≥ 1. Default 128. */
  batch?: number;
  /**
   * Passes over each task's rows, an integer ≥ 1. Default 1, the protocol: every training row seen
   * once. More is for the joint-training upper bound: passes after the first go through
   * `task.train` in a fresh seeded order each.
   */
  epochs?: number;
  /** EWC's λ, a number in [0, 1e30]; 0 (the default) is plain fine-tuning. */
  ewcLambda?: number;
  /** Seed of the initial weights and of the later epochs' orders, an integer in [0, 2⁵³ − 1]. Default 1. */
  seed?: number;
  /** Name in tables and plots. Default 'fine-tuning', or 'EWC (λ=…)' when ewcLambda > 0 (e.g. 'joint' for the upper bound). */
  name?: string;
}

/** {@link MlpOptions} with every default filled in. */
export interface MlpConfig {
  hidden: readonly number[];
  rate: number;
  batch: number;
  epochs: number;
  ewcLambda: number;
  seed: number;
}

const MAX_SIZE = 1 << 20;
const MAX_LAYERS = 64;
const MAX_EPOCHS = 10_000;

/** A per-(task, epoch) seed for the shuffles of epochs after the first. */
function epochSeed(seed: number, task: number, epoch: number): number {
  return Number(BigInt.asUintN(52, BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(task + 1) * 0xd1b54a32d192ed03n + BigInt(epoch)));
}

/**
 * The MLP baseline as a {@link ContinualMethod}: sizes [inputSize, ...hidden, outputs], He-uniform
 * initial weights from `seed`, Adam on the mean softmax cross-entropy of `batch`-row steps.
 *
 * learnTask: the harness's batches are predicted first (reported to `onPredicted`), then their rows
 * are learned in steps of exactly `batch` rows, in stream order (a step may span the harness's
 * batches; the last step of a task takes the rows left over). When a harness batch is exactly one
 * step (and no rows wait from the one before), its predictions come from that step's own forward
 * pass, at the weights before the step: the same predictions without a second pass. After
 * `epochs` − 1 further passes over `task.train`, EWC (ewcLambda > 0) consolidates on `task.train`:
 * the diagonal empirical Fisher of its rows at the learned weights is added to the penalty's
 * statistics, so the penalty (λ/2)·Σ_t Σ_i F_t,i (θ_i − θ*_t,i)² covers every task so far.
 * All native work runs off the event loop.
 */
export class MlpMethod implements ContinualMethod {
  readonly name: string;
  readonly settings: string;
  /** Values per input row. */
  readonly inputSize: number;
  /** Classes (the scenario's output space). */
  readonly outputs: number;
  /** Layer sizes, inputs to outputs. */
  readonly sizes: readonly number[];
  readonly config: Readonly<MlpConfig>;
  readonly #native: NativeMlp;
  #disposed = false;
  #steps = 0;

  /**
   * @param shape the scenario's input size and number of outputs (a Scenario will do).
   * @throws TypeError / RangeError (codes ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE) for bad sizes or options.
   */
  constructor(shape: { inputSize: number; outputs: number }, options?: MlpOptions) {
    if (typeof shape !== 'object' || shape === null) throw typeError('shape', 'an object { inputSize, outputs }', shape);
    this.inputSize = check.integer(shape.inputSize, 'shape.inputSize', 1, MAX_SIZE);
    this.outputs = check.integer(shape.outputs, 'shape.outputs', 1, MAX_SIZE);
    const o = check.options(options, 'options', ['hidden', 'rate', 'batch', 'epochs', 'ewcLambda', 'seed', 'name'] as const);
    let hidden: number[] = [400, 400];
    if (o.hidden !== undefined) {
      if (!Array.isArray(o.hidden)) throw typeError('options.hidden', 'an array of hidden layer sizes', o.hidden);
      if (o.hidden.length > MAX_LAYERS) throw rangeError('options.hidden.length', `at most ${MAX_LAYERS}`, o.hidden.length);
      hidden = o.hidden.map((n: unknown, i: number) => check.integer(n, `options.hidden[${i}]`, 1, MAX_SIZE));
    }
    const config: MlpConfig = {
      hidden: Object.freeze(hidden),
      rate: o.rate === undefined ? 0.001 : check.finiteNumber(o.rate, 'options.rate', 0, 1, true),
      batch: o.batch === undefined ? 128 : check.integer(o.batch, 'options.batch', 1, MAX_SIZE),
      epochs: o.epochs === undefined ? 1 : check.integer(o.epochs, 'options.epochs', 1, MAX_EPOCHS),
      ewcLambda: o.ewcLambda === undefined ? 0 : check.finiteNumber(o.ewcLambda, 'options.ewcLambda', 0, 1e30),
      seed: o.seed === undefined ? 1 : check.integer(o.seed, 'options.seed', 0, Number.MAX_SAFE_INTEGER),
    };
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) throw typeError('options.name', 'a non-empty string', o.name);
    this.config = Object.freeze(config);
    this.sizes = Object.freeze([this.inputSize, ...hidden, this.outputs]);
    const ewc = config.ewcLambda > 0;
    this.name = (o.name as string | undefined) ?? (ewc ? `EWC (λ=${config.ewcLambda})` : 'fine-tuning');
    this.settings =
      `MLP ${this.sizes.join('-')} (ReLU, softmax cross-entropy, He-uniform init), Adam rate ${config.rate}, ` +
      `batch ${config.batch}, ${config.epochs} epoch${config.epochs === 1 ? '' : 's'} per task, seed ${config.seed}` +
      (ewc ? `, EWC λ ${config.ewcLambda} (diagonal empirical Fisher, summed over tasks)` : '');
    this.#native = new (mlpNative())({ sizes: [...this.sizes], seed: config.seed, rate: config.rate });
  }

  /** Adam steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** True once {@link MlpMethod.dispose} was called. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /**
   * Learns one task (see the class comment). Each batch must hold `rows` rows of inputSize values
   * and `rows` labels in [0, outputs).
   * @throws TypeError / RangeError for malformed batches or a task without labelled training rows;
   * Error `ERR_INDEE_NUMERICAL` when training diverges (the weights stay as before that step);
   * `ERR_INDEE_DISPOSED` after dispose.
   */
  async learnTask(task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void): Promise<void> {
    this.#live();
    if (typeof task !== 'object' || task === null) throw typeError('task', 'a Task', task);
    if (onPredicted !== undefined && typeof onPredicted !== 'function') throw typeError('onPredicted', 'a function', onPredicted);
    if (batches === null || typeof batches !== 'object' || typeof (batches as Partial<AsyncIterable<TaskBatch>>)[Symbol.asyncIterator] !== 'function')
      throw typeError('batches', 'an async iterable of batches', batches);
    const { batch, epochs, ewcLambda } = this.config;
    const needsTrain = epochs > 1 || ewcLambda > 0;
    if (needsTrain) this.#checkTrain(task);
    const n = this.inputSize;

    // Epoch 1: the stream, predicted batch by batch, learned in steps of `batch` rows.
    const bufferX = new Float32Array(batch * n);
    const bufferLabels = new Int32Array(batch);
    let filled = 0;
    const step = async (x: Float32Array, labels: Int32Array): Promise<MlpStep> => {
      const result = await this.#native.trainBatchAsync(x, labels);
      ++this.#steps;
      return result;
    };
    for await (const b of batches) {
      this.#checkBatch(b);
      if (filled === 0 && b.rows === batch) {
        const { predicted } = await step(b.x, b.labels);
        onPredicted?.(b, predicted);
        continue;
      }
      if (onPredicted) onPredicted(b, predict(await this.#native.logitsAsync(b.x), b.rows, this.outputs));
      for (let r = 0; r < b.rows; ) {
        const take = Math.min(batch - filled, b.rows - r);
        bufferX.set(b.x.subarray(r * n, (r + take) * n), filled * n);
        bufferLabels.set(b.labels.subarray(r, r + take), filled);
        filled += take;
        r += take;
        if (filled === batch) {
          await step(bufferX, bufferLabels);
          filled = 0;
        }
      }
    }
    if (filled > 0) await step(bufferX.subarray(0, filled * n), bufferLabels.subarray(0, filled));

    // Further epochs (joint training's upper bound): task.train in a fresh seeded order each.
    for (let e = 1; e < epochs; ++e) {
      const order = task.train.shuffle(epochSeed(this.config.seed, task.index, e));
      for (const b of task.train.batches({ size: batch, order })) await step(b.x, b.labels as Int32Array);
    }

    if (ewcLambda > 0) await this.#native.consolidateAsync(task.train.x, task.train.labels as Int32Array, ewcLambda);
  }

  /**
   * The logits (rows × outputs; larger is more likely) of test rows x.
   * @throws TypeError / RangeError unless x is a Float32Array of `rows` rows of inputSize values.
   */
  async scores(x: Float32Array, rows: number): Promise<Float32Array> {
    this.#live();
    check.integer(rows, 'rows', 0, Number.MAX_SAFE_INTEGER);
    check.rows(x, 'x', this.inputSize, rows, 'inputSize');
    if (rows === 0) return new Float32Array(0);
    return this.#native.logitsAsync(x);
  }

  /** Frees the native memory now (after the async calls already started). Later calls throw `ERR_INDEE_DISPOSED`. */
  dispose(): void {
    this.#disposed = true;
    this.#native.dispose();
  }

  #live(): void {
    if (this.#disposed) throw Object.assign(new Error('this MlpMethod has been disposed'), { code: 'ERR_INDEE_DISPOSED' }) as CodedError;
  }

  #checkBatch(b: TaskBatch): void {
    if (typeof b !== 'object' || b === null) throw typeError('batch', 'a TaskBatch { x, y, labels, rows }', b);
    check.integer(b.rows, 'batch.rows', 1, Number.MAX_SAFE_INTEGER);
    check.rows(b.x, 'batch.x', this.inputSize, b.rows, 'inputSize');
    if (!types.isInt32Array(b.labels)) throw typeError('batch.labels', `an Int32Array of ${b.rows} classes`, b.labels);
    if (b.labels.length !== b.rows) throw rangeError('batch.labels.length', `${b.rows} (one per row)`, b.labels.length);
  }

  #checkTrain(task: Task): void {
    const train = task.train as Task['train'] | undefined;
    if (typeof train !== 'object' || train === null) throw typeError('task.train', 'a Dataset of the task’s training rows', train);
    if (train.inputSize !== this.inputSize) throw rangeError('task.train.inputSize', `${this.inputSize} (the method's inputSize)`, train.inputSize);
    if (train.rows < 1) throw rangeError('task.train.rows', 'at least 1 (EWC and extra epochs read task.train)', train.rows);
    if (!types.isInt32Array(train.labels)) throw typeError('task.train.labels', 'an Int32Array of class labels (EWC and extra epochs read task.train)', train.labels);
    if (train.classes > this.outputs) throw rangeError('task.train.classes', `at most outputs (${this.outputs})`, train.classes);
  }
}


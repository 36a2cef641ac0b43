/**
 * A labelled (or unlabelled) set of rows in the shape the model takes: a row-major Float32Array of
 * inputs and integer class labels, with views, gathers, seeded shuffles and batching.
 */
import { types } from 'node:util';

import { rangeError, typeError } from '../errors';
import { oneHot } from '../labels';
import * as check from '../validate';
import { permutation } from './shuffle';
import { ARRAY_TYPES, type Dtype, type Tensor, type TensorData } from './source';

const MAX_CLASSES = 1 << 20; // oneHot's own limit
const MAX_COUNT = 2 ** 32;
const MAX_INT32 = 2n ** 31n - 1n;

/** The arguments of the {@link Dataset} constructor. */
export interface DatasetInit {
  /** rows × inputSize values, row-major. */
  x: Float32Array;
  /** Values per row, an integer ≥ 1. */
  inputSize: number;
  /** One class index per row, in [0, classes); omit (or null) for unlabelled data. */
  labels?: Int32Array | null;
  /** Number of classes, ≥ every label + 1. Default: the largest label + 1; 0 (or absent) without labels. */
  classes?: number;
}

/** Rows gathered or sliced from a {@link Dataset}. */
export interface Rows {
  /** rows × inputSize values. */
  x: Float32Array;
  /** rows × classes one-hot values; null when unlabelled. */
  y: Float32Array | null;
  /** One class index per row; null when unlabelled. */
  labels: Int32Array | null;
  /** Number of rows. */
  rows: number;
}

/** One batch of {@link Dataset.batches}. */
export interface Batch extends Rows {
  /** Position of the batch's first row in the iteration (in `order` when one was given). */
  start: number;
}

/** Options of {@link Dataset.batches}. */
export interface BatchOptions {
  /** Rows per batch, an integer ≥ 1; the last batch may be shorter. */
  size: number;
  /** Row indices in the order to visit them, typically {@link Dataset.shuffle}'s; default 0..rows-1. */
  order?: ArrayLike<number>;
}

/** Options of {@link Dataset.fromTensors}. */
export interface FromTensorsOptions {
  /** Factor applied to every image value. Default 1/255 for uint8 images (pixels into [0, 1]), 1 otherwise. */
  scale?: number;
  /** Number of classes. Default: the largest label + 1. */
  classes?: number;
}

const INTEGER_DTYPES = ['uint8', 'int8', 'int16', 'int32', 'int64'] as const;

/**
 * Labels as the Int32Array a Dataset holds. int64 values are checked one by one: bigints cannot be
 * copied into an Int32Array, and storing Number(v) in one would silently wrap a value past 2^31.
 */
function int32Labels(data: TensorData): Int32Array {
  if (!(data instanceof BigInt64Array)) return new Int32Array(data);
  const out = new Int32Array(data.length);
  for (let r = 0; r < data.length; ++r) {
    const v = data[r];
    if (v < 0n || v > MAX_INT32) throw rangeError(`labels.data[${r}]`, 'a class index in [0, 2^31 - 1] (int64 labels are narrowed to int32)', v);
    out[r] = Number(v);
  }
  return out;
}

/** Throws unless `value` is a {@link Tensor} whose data matches its dtype and shape; returns its element count. */
function checkTensor(value: unknown, name: string): number {
  if (typeof value !== 'object' || value === null) throw typeError(name, 'a tensor { dtype, shape, data }', value);
  const { dtype, shape, data } = value as Partial<Tensor>;
  const type = check.choice(dtype, `${name}.dtype`, Object.keys(ARRAY_TYPES) as Dtype[]);
  if (!Array.isArray(shape)) throw typeError(`${name}.shape`, 'an array of dimension lengths', shape);
  shape.forEach((n, i) => check.integer(n, `${name}.shape[${i}]`, 0, MAX_COUNT));
  if (!(data instanceof ARRAY_TYPES[type])) throw typeError(`${name}.data`, `a ${ARRAY_TYPES[type].name} (dtype ${type})`, data);
  // Exact, as a bigint: a float product of many axes can overflow to Infinity, and Infinity × 0 is NaN.
  const count = shape.reduce((a: bigint, b: number) => a * BigInt(b), 1n);
  if (BigInt(data.length) !== count) throw rangeError(`${name}.data.length`, `${count} (the product of shape [${shape.join(', ')}])`, data.length);
  return data.length;
}

/** Checks and copies a list of row indices, so that later changes to the caller's array cannot reach past the rows. */
function indexList(value: unknown, name: string, rows: number): Int32Array {
  if (typeof value !== 'object' || value === null || typeof (value as ArrayLike<number>).length !== 'number')
    throw typeError(name, 'an array or typed array of row indices', value);
  const list = value as ArrayLike<number>;
  for (let k = 0; k < list.length; ++k) {
    const i = list[k];
    if (!Number.isInteger(i) || i < 0 || i >= rows) throw rangeError(`${name}[${k}]`, `a row index, an integer in [0, ${rows - 1}]`, i);
  }
  return Int32Array.from(list);
}

/**
 * Rows of inputs with optional integer class labels. `x` holds rows × inputSize values, row-major;
 * `labels` one class index per row. Views ({@link Dataset.range}, unshuffled batches) share memory
 * with the dataset; gathers ({@link Dataset.take}, shuffled batches) copy.
 */
export class Dataset {
  /** rows × inputSize values, row-major. */
  readonly x: Float32Array;
  /** Values per row. */
  readonly inputSize: number;
  /** Number of rows. */
  readonly rows: number;
  /** One class index per row, or null when unlabelled. */
  readonly labels: Int32Array | null;
  /** Number of classes; 0 when unlabelled. */
  readonly classes: number;

  /**
   * Wraps arrays without copying them.
   * @throws TypeError / RangeError when x is not a Float32Array of whole rows, or labels disagree
   * with the rows or fall outside [0, classes).
   */
  constructor(init: DatasetInit) {
    const o = check.options(init, 'init', ['x', 'inputSize', 'labels', 'classes'] as const);
    this.inputSize = check.integer(o.inputSize, 'inputSize', 1, MAX_COUNT);
    if (!types.isFloat32Array(o.x)) throw typeError('x', `a Float32Array of rows of ${this.inputSize} values (inputSize)`, o.x);
    if (o.x.length % this.inputSize !== 0) throw rangeError('x.length', `a multiple of inputSize (${this.inputSize})`, o.x.length);
    this.x = o.x;
    this.rows = o.x.length / this.inputSize;
    const labels = o.labels ?? null;
    if (labels === null) {
      if (o.classes !== undefined && o.classes !== 0) throw rangeError('classes', '0 or absent for a dataset without labels', o.classes);
      this.labels = null;
      this.classes = 0;
      return;
    }
    if (!types.isInt32Array(labels)) throw typeError('labels', 'an Int32Array of class indices', labels);
    if (labels.length !== this.rows) throw rangeError('labels.length', `${this.rows} (one per row of x)`, labels.length);
    this.classes = o.classes === undefined ? labels.reduce((a, b) => Math.max(a, b + 1), 1) : check.integer(o.classes, 'classes', 1, MAX_CLASSES);
    for (let r = 0; r < labels.length; ++r)
      if (labels[r] < 0 || labels[r] >= this.classes) throw rangeError(`labels[${r}]`, `a class index in [0, ${this.classes - 1}]`, labels[r]);
    this.labels = labels;
  }

  /**
   * A dataset from an images tensor (axis 0 = rows, the other axes flattened into each row) and an
   * optional 1-D integer labels tensor with one label per row, as read by `readIdx` / `readNpy`.
   * Images of any dtype become float32 (int64 ones through `Number()`); labels of any integer dtype
   * (uint8, int8, int16, int32, int64) become int32.
   * @throws TypeError / RangeError for malformed tensors, a row count mismatch, float labels, or an
   * int64 label outside [0, 2^31) (the RangeError names its index).
   */
  static fromTensors(images: Tensor, labels?: Tensor, options?: FromTensorsOptions): Dataset {
    const count = checkTensor(images, 'images');
    if (images.shape.length === 0) throw rangeError('images.shape', 'at least one axis (the rows)', '[]');
    const o = check.options(options, 'options', ['scale', 'classes'] as const);
    const rows = images.shape[0];
    const inputSize = Number(images.shape.slice(1).reduce((a, b) => a * BigInt(b), 1n)); // exact: no Infinity × 0
    if (inputSize === 0) throw rangeError('images.shape', 'no zero-length axis after the first', `[${images.shape.join(', ')}]`);
    const defaultScale = images.dtype === 'uint8' ? 1 / 255 : 1;
    const scale = o.scale === undefined ? defaultScale : check.finiteNumber(o.scale, 'options.scale', -Number.MAX_VALUE, Number.MAX_VALUE);
    const x = new Float32Array(count);
    const data = images.data;
    // bigints do not mix with numbers (x.set throws on them), so int64 values go through Number() one by one.
    if (data instanceof BigInt64Array) for (let i = 0; i < count; ++i) x[i] = Number(data[i]) * scale;
    else if (scale === 1) x.set(data);
    // v·(1/255) rounds to the same float32 as v/255 for every byte value, so one multiply serves both.
    else for (let i = 0; i < count; ++i) x[i] = data[i] * scale;
    if (labels === undefined) return new Dataset({ x, inputSize });
    checkTensor(labels, 'labels');
    check.choice(labels.dtype, 'labels.dtype', INTEGER_DTYPES);
    if (labels.shape.length !== 1 || labels.shape[0] !== rows)
      throw rangeError('labels.shape', `[${rows}] (one label per image row)`, `[${labels.shape.join(', ')}]`);
    return new Dataset({ x, inputSize, labels: int32Labels(labels.data), classes: o.classes as number | undefined });
  }

  /**
   * Rows [start, end) as a dataset that shares memory with this one (no copy).
   * @throws RangeError unless 0 ≤ start ≤ end ≤ rows.
   */
  range(start: number, end: number): Dataset {
    check.integer(start, 'start', 0, this.rows);
    check.integer(end, 'end', start, this.rows);
    const n = this.inputSize;
    return new Dataset({
      x: this.x.subarray(start * n, end * n),
      inputSize: n,
      labels: this.labels?.subarray(start, end) ?? null,
      classes: this.classes,
    });
  }

  /**
   * One-hot label rows, rows × classes (through `oneHot`).
   * @throws RangeError when the dataset has no labels.
   */
  y(): Float32Array {
    if (this.labels === null) throw rangeError('labels', 'present to build one-hot rows (this dataset is unlabelled)', null);
    return oneHot(this.labels, this.classes);
  }

  /**
   * A seeded permutation of 0..rows-1 (see `permutation` in shuffle.ts: SplitMix64 + Fisher–Yates):
   * the same seed gives the same order on every platform. Use it as {@link BatchOptions.order}.
   * @param seed a safe integer.
   */
  shuffle(seed: number): Int32Array {
    return permutation(this.rows, check.integer(seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER));
  }

  /**
   * Copies the given rows, in the given order (repeats allowed).
   * @throws TypeError / RangeError unless every index is an integer in [0, rows).
   */
  take(indices: ArrayLike<number>): Rows {
    const list = indexList(indices, 'indices', this.rows);
    return this.#gather(list, 0, list.length);
  }

  /**
   * Batches of up to `size` rows, in row order (views, no copy) or in `order` (copies). Iterable
   * both with `for...of` and `for await...of`, as many times as wanted.
   * @throws TypeError / RangeError at the call for a bad size or order.
   */
  batches(options: BatchOptions): Iterable<Batch> & AsyncIterable<Batch> {
    const o = check.options(options, 'options', ['size', 'order'] as const);
    const size = check.integer(o.size, 'options.size', 1, MAX_COUNT);
    const order = o.order === undefined ? null : indexList(o.order, 'options.order', this.rows);
    const count = order ? order.length : this.rows;
    const batchAt = (start: number): Batch => {
      const end = Math.min(start + size, count);
      return { ...(order ? this.#gather(order, start, end) : this.#slice(start, end)), start };
    };
    function* iterate(): Generator<Batch> {
      for (let start = 0; start < count; start += size) yield batchAt(start);
    }
    return {
      [Symbol.iterator]: iterate,
      async *[Symbol.asyncIterator]() {
        yield* iterate();
      },
    };
  }

  #slice(start: number, end: number): Rows {
    const labels = this.labels?.subarray(start, end) ?? null;
    const x = this.x.subarray(start * this.inputSize, end * this.inputSize);
    return { x, y: labels && oneHot(labels, this.classes), labels, rows: end - start };
  }

  #gather(list: Int32Array, from: number, to: number): Rows {
    const n = this.inputSize;
    const x = new Float32Array((to - from) * n);
    const all = this.labels;
    const labels = all && new Int32Array(to - from);
    for (let k = from; k < to; ++k) {
      const r = list[k];
      x.set(this.x.subarray(r * n, (r + 1) * n), (k - from) * n);
      if (all && labels) labels[k - from] = all[r];
    }
    return { x, y: labels && oneHot(labels, this.classes), labels, rows: to - from };
  }
}

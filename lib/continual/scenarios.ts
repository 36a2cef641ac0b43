/**
 * The scenarios of the continual-learning evaluation: split MNIST asked three ways (class-, task-
 * and domain-incremental; van de Ven & Tolias 2019) and permuted MNIST. Each task's training rows
 * come from MNIST's 60,000 training rows in a seeded shuffled order; its test rows from the 10,000
 * test rows (rows 60,000–69,999 of `mnist()`). Nothing here depends on MNIST itself: the builders take
 * any labelled `{ train, test }` pair with digits 0–9, so tests can build small scenarios.
 */
import { Dataset, mnist, MNIST_TRAIN_ROWS } from '../data';
import { permutation } from '../data/shuffle';
import { rangeError, typeError } from '../errors';
import * as check from '../validate';
import type { Scenario, ScenarioKind, Task } from './types';

/** The labelled rows a scenario is cut from: labels are digits 0–9. */
export interface ScenarioSource {
  /** Rows training streams are drawn from (MNIST: its 60,000 training rows). */
  train: Dataset;
  /** Rows accuracy is measured on (MNIST: its 10,000 test rows). */
  test: Dataset;
}

/** Options shared by {@link splitScenario} and {@link permutedScenario}. */
export interface ScenarioOptions {
  /**
   * Seed of every shuffle (and of permuted MNIST's permutations): a safe integer. Default 1. A task's
   * order depends on the seed and on the task's identity (its digits, or its permutation), not on its
   * position in `order`, so reordering the tasks does not change what each task streams.
   */
  seed?: number;
  /** At most this many training rows per task (the first ones of its shuffled order), an integer ≥ 1. Default: all. */
  trainRows?: number;
  /**
   * Hold out the last `validation` rows of each task's shuffled training pool, an integer ≥ 1. The
   * scenario's tasks then carry these held-out rows as their `test` rows (so the harness, unchanged,
   * measures accuracy on them, for tuning hyperparameters without touching the test rows), and train
   * on the rest. The test rows are not used at all. The held-out rows are the tail of the pool, so a
   * task's training stream is the same with and without `validation` as long as `trainRows` ≤ pool − validation.
   * For permuted MNIST the held-out rows are the same source rows for every task (the tail of one
   * shared shuffle), so no held-out image is trained on under any permutation.
   */
  validation?: number;
  /** The tasks in this order: a permutation of the task indices 0..T−1 (split: 0 = 0/1, …, 4 = 8/9). Default 0..T−1. */
  order?: readonly number[];
}

/** Options of {@link permutedScenario}. */
export interface PermutedOptions extends ScenarioOptions {
  /** Number of tasks, an integer in [1, 1000]. Default 5. */
  tasks?: number;
  /** Task 0 sees the images unpermuted (the identity). Default true. */
  identityFirst?: boolean;
}

/** The digits of split MNIST's tasks, in their default order. */
export const SPLIT_TASKS: readonly (readonly [number, number])[] = Object.freeze([
  [0, 1],
  [2, 3],
  [4, 5],
  [6, 7],
  [8, 9],
] as const);

const DIGITS = 10;
const MAX_PERMUTED_TASKS = 1000;

/** Stream identifiers of {@link derivedSeed}. */
const STREAM = { trainOrder: 1, pixels: 2, holdOut: 3 } as const;

/**
 * A seed for one purpose of one task, from the scenario's seed: distinct (stream, id) pairs give
 * unrelated seeds (the result is hashed again by SplitMix64 inside `permutation`). A safe integer.
 */
function derivedSeed(seed: number, stream: number, id: number): number {
  const mixed = BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(stream) * 0xbf58476d1ce4e5b9n + BigInt(id + 1) * 0x94d049bb133111ebn;
  return Number(BigInt.asUintN(52, mixed));
}

/** Checks an order option: a permutation of 0..count−1. */
export function checkOrder(value: unknown, count: number, name = 'options.order'): number[] {
  if (value === undefined) return Array.from({ length: count }, (_, i) => i);
  if (!Array.isArray(value)) throw typeError(name, `an array holding a permutation of 0..${count - 1}`, value);
  if (value.length !== count) throw rangeError(`${name}.length`, `${count} (one entry per task)`, value.length);
  const seen = new Array<boolean>(count).fill(false);
  value.forEach((v: unknown, i) => {
    check.integer(v, `${name}[${i}]`, 0, count - 1);
    if (seen[v as number]) throw rangeError(`${name}[${i}]`, `a task index not already listed (a permutation of 0..${count - 1})`, v);
    seen[v as number] = true;
  });
  return [...(value as number[])];
}

interface CheckedOptions {
  seed: number;
  trainRows: number;
  validation: number;
  order: number[];
}

function checkCommon(o: Partial<Record<keyof PermutedOptions, unknown>>, tasks: number): CheckedOptions {
  return {
    seed: o.seed === undefined ? 1 : check.integer(o.seed, 'options.seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    trainRows: o.trainRows === undefined ? Number.MAX_SAFE_INTEGER : check.integer(o.trainRows, 'options.trainRows', 1, Number.MAX_SAFE_INTEGER),
    validation: o.validation === undefined ? 0 : check.integer(o.validation, 'options.validation', 1, Number.MAX_SAFE_INTEGER),
    order: checkOrder(o.order, tasks),
  };
}

function checkSource(source: ScenarioSource): void {
  if (typeof source !== 'object' || source === null) throw typeError('source', 'an object { train, test } of labelled Datasets', source);
  for (const part of ['train', 'test'] as const) {
    const d = source[part];
    if (!(d instanceof Dataset)) throw typeError(`source.${part}`, 'a Dataset', d);
    if (d.labels === null) throw rangeError(`source.${part}.labels`, 'present (digits 0–9)', null);
    if (d.classes > DIGITS) throw rangeError(`source.${part}.classes`, `at most ${DIGITS} (digits 0–9)`, d.classes);
  }
  if (source.test.inputSize !== source.train.inputSize)
    throw rangeError('source.test.inputSize', `${source.train.inputSize} (source.train's)`, source.test.inputSize);
}

/** Rows `indices` of `data` as a new dataset whose labels are `map(label)`, over `classes` outputs; `pixels` (optional) permutes the columns: out[:, i] = in[:, pixels[i]]. */
function gather(data: Dataset, indices: ArrayLike<number>, classes: number, map: (label: number) => number, pixels?: Int32Array): Dataset {
  const n = data.inputSize;
  const x = new Float32Array(indices.length * n);
  const labels = new Int32Array(indices.length);
  const source = data.labels as Int32Array;
  for (let k = 0; k < indices.length; ++k) {
    const r = indices[k];
    if (pixels) {
      const base = r * n;
      const out = k * n;
      for (let i = 0; i < n; ++i) x[out + i] = data.x[base + pixels[i]];
    } else {
      x.set(data.x.subarray(r * n, (r + 1) * n), k * n);
    }
    labels[k] = map(source[r]);
  }
  return new Dataset({ x, inputSize: n, labels, classes });
}

/** The indices of `data`'s rows whose label is in `digits`, in row order. */
function rowsOf(data: Dataset, digits: readonly number[]): Int32Array {
  const labels = data.labels as Int32Array;
  const out: number[] = [];
  for (let r = 0; r < labels.length; ++r) if (digits.includes(labels[r])) out.push(r);
  return Int32Array.from(out);
}

/**
 * Splits a shuffled pool: the last `validation` entries are held out, the training stream is the
 * first min(trainRows, pool − validation) of the rest.
 */
function splitPool(pool: Int32Array, trainRows: number, validation: number, what: string): { train: Int32Array; held: Int32Array } {
  if (validation >= pool.length) throw rangeError('options.validation', `fewer than the ${pool.length} training rows of ${what}`, validation);
  const kept = pool.length - validation;
  return { train: pool.subarray(0, Math.min(trainRows, kept)), held: pool.subarray(kept) };
}

/** `indices` in the seeded order of `permutation(indices.length, seed)` (what {@link Dataset.shuffle} gives). */
function shuffled(indices: Int32Array, seed: number): Int32Array {
  const order = permutation(indices.length, seed);
  const out = new Int32Array(indices.length);
  for (let k = 0; k < order.length; ++k) out[k] = indices[order[k]];
  return out;
}

/**
 * Split MNIST: five tasks of two digits (0/1, 2/3, 4/5, 6/7, 8/9), each with the source's training
 * rows of its digits in a seeded shuffled order (optionally capped by `trainRows`) and the source's
 * test rows of its digits.
 *
 * - `'class'`: labels are the digits (0–9), `outputs` 10; `task.classes` are the task's two digits
 *   (informational: a class-incremental prediction chooses among all 10).
 * - `'task'`: the same labels; the harness restricts each prediction to `task.classes`, the task's two digits.
 * - `'domain'`: the label is the digit's position in its pair (digit % 2), `outputs` 2, `task.classes` [0, 1].
 *
 * @throws TypeError / RangeError for a bad source or option (an order that is not a permutation of 0..4,
 * a `validation` as large as a task's pool).
 */
export function splitScenario(source: ScenarioSource, kind: Exclude<ScenarioKind, 'permuted'>, options?: ScenarioOptions): Scenario {
  checkSource(source);
  const k = check.choice(kind, 'kind', ['class', 'task', 'domain'] as const);
  const o = checkCommon(check.options(options, 'options', ['seed', 'trainRows', 'validation', 'order'] as const), SPLIT_TASKS.length);
  const outputs = k === 'domain' ? 2 : DIGITS;
  const map = k === 'domain' ? (digit: number) => digit % 2 : (digit: number) => digit;
  const tasks: Task[] = o.order.map((id, index) => {
    const digits = SPLIT_TASKS[id];
    const name = `${digits[0]}/${digits[1]}`;
    const pool = shuffled(rowsOf(source.train, digits), derivedSeed(o.seed, STREAM.trainOrder, id));
    const { train, held } = splitPool(pool, o.trainRows, o.validation, `task ${name}`);
    return Object.freeze({
      index,
      name,
      classes: Object.freeze(k === 'domain' ? [0, 1] : [...digits]),
      train: gather(source.train, train, outputs, map),
      test: o.validation > 0 ? gather(source.train, held, outputs, map) : gather(source.test, rowsOf(source.test, digits), outputs, map),
    });
  });
  return Object.freeze({ kind: k, inputSize: source.train.inputSize, outputs, tasks: Object.freeze(tasks) });
}

/**
 * The pixel permutation of permuted task `id` (its identity, not its position in the order):
 * `out[i] = in[pixels[i]]`. The identity for task 0 when `identityFirst`; otherwise a seeded
 * SplitMix64/Fisher–Yates permutation, the same for the same seed on every platform.
 */
export function taskPermutation(inputSize: number, seed: number, id: number, identityFirst = true): Int32Array {
  check.integer(inputSize, 'inputSize', 1, Number.MAX_SAFE_INTEGER);
  check.integer(seed, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  check.integer(id, 'id', 0, MAX_PERMUTED_TASKS - 1);
  if (id === 0 && identityFirst) return Int32Array.from({ length: inputSize }, (_, i) => i);
  return permutation(inputSize, derivedSeed(seed, STREAM.pixels, id));
}

/**
 * Permuted MNIST: `tasks` tasks (default 5) over all ten digits (labels 0–9, `outputs` 10,
 * `task.classes` all ten), task t seeing every image through its own fixed pixel permutation
 * ({@link taskPermutation}; task 0 the identity unless `identityFirst` is false). Each task streams
 * the source's training rows in its own seeded order (capped by `trainRows`) and is tested on all the
 * source's test rows, permuted. Each task's rows are materialised: with all 60,000 training rows a task
 * holds 188 MB, so use `trainRows` for quick runs.
 */
export function permutedScenario(source: ScenarioSource, options?: PermutedOptions): Scenario {
  checkSource(source);
  const raw = check.options(options, 'options', ['seed', 'trainRows', 'validation', 'order', 'tasks', 'identityFirst'] as const);
  const count = raw.tasks === undefined ? 5 : check.integer(raw.tasks, 'options.tasks', 1, MAX_PERMUTED_TASKS);
  const identityFirst = raw.identityFirst === undefined ? true : raw.identityFirst;
  if (typeof identityFirst !== 'boolean') throw typeError('options.identityFirst', 'a boolean', identityFirst);
  const o = checkCommon(raw, count);
  const all = Int32Array.from({ length: source.train.rows }, (_, r) => r);
  // One shared shuffle decides the held-out rows, so that no held-out image is trained on by any task.
  const { train: pool, held } = splitPool(shuffled(all, derivedSeed(o.seed, STREAM.holdOut, 0)), Number.MAX_SAFE_INTEGER, o.validation, 'the source');
  const testRows = Int32Array.from({ length: source.test.rows }, (_, r) => r);
  const identity = (label: number) => label;
  const tasks: Task[] = o.order.map((id, index) => {
    const pixels = taskPermutation(source.train.inputSize, o.seed, id, identityFirst);
    const order = shuffled(pool, derivedSeed(o.seed, STREAM.trainOrder, id));
    const train = order.subarray(0, Math.min(o.trainRows, order.length));
    return Object.freeze({
      index,
      name: `perm ${id}`,
      classes: Object.freeze(Array.from({ length: DIGITS }, (_, c) => c)),
      train: gather(source.train, train, DIGITS, identity, pixels),
      test: o.validation > 0 ? gather(source.train, held, DIGITS, identity, pixels) : gather(source.test, testRows, DIGITS, identity, pixels),
    });
  });
  return Object.freeze({ kind: 'permuted' as const, inputSize: source.train.inputSize, outputs: DIGITS, tasks: Object.freeze(tasks) });
}

/** MNIST as a {@link ScenarioSource}: its 60,000 training rows and its 10,000 test rows (views, no copy). */
export async function mnistSource(): Promise<ScenarioSource> {
  const data = await mnist();
  return { train: data.range(0, MNIST_TRAIN_ROWS), test: data.range(MNIST_TRAIN_ROWS, data.rows) };
}

/** Options of {@link mnistScenario}: a split scenario's, or a permuted one's when kind is `'permuted'`. */
export type MnistScenarioOptions = PermutedOptions;

/**
 * A scenario of MNIST ({@link splitScenario} for `'class'`, `'task'`, `'domain'`; {@link permutedScenario}
 * for `'permuted'`). Loads the bundled MNIST (once per process).
 */
export async function mnistScenario(kind: ScenarioKind, options?: MnistScenarioOptions): Promise<Scenario> {
  const k = check.choice(kind, 'kind', ['class', 'task', 'domain', 'permuted'] as const);
  if (k !== 'permuted') {
    const o = check.options(options, 'options', ['seed', 'trainRows', 'validation', 'order'] as const);
    return splitScenario(await mnistSource(), k, o as ScenarioOptions);
  }
  return permutedScenario(await mnistSource(), options);
}

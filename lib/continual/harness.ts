/**
 * Runs one method through one scenario: the untrained method's accuracy b̄ on every task, then for
 * each task in order its training rows once, in batches (test-then-train: the method reports its
 * predictions of each batch before learning it), followed by the accuracy on every task's test rows.
 */
import { types } from 'node:util';
import { performance } from 'node:perf_hooks';

import { permutation } from '../data/shuffle';
import { rangeError, typeError } from '../errors';
import * as check from '../validate';
import { prequentialSummary, transferMetrics, type PrequentialSummary } from './metrics';
import type { ContinualMethod, Scenario, ScenarioKind, Task, TaskBatch } from './types';

/** What {@link RunOptions.onProgress} is told. */
export interface Progress {
  /** `'baseline'`: b̄ measured; `'train'`: a batch learned; `'evaluate'`: one task's test rows scored after learning task `task`. */
  phase: 'baseline' | 'train' | 'evaluate';
  /** The task being learned (its position in the scenario), or −1 for the baseline. */
  task: number;
  /** Tasks in the scenario. */
  tasks: number;
  /** Training rows handed to the method so far (all tasks). */
  rows: number;
  /** Training rows of the whole scenario. */
  totalRows: number;
  /** For `'evaluate'`: the task whose accuracy was just measured, and that accuracy. */
  evaluated?: { task: number; accuracy: number };
  /** Seconds since the run started. */
  seconds: number;
}

/** Options of {@link runScenario}. */
export interface RunOptions {
  /** Training rows per batch handed to the method, an integer ≥ 1. Default 100. */
  batch?: number;
  /** Test rows per `scores` call, an integer ≥ 1. Default 1,000. */
  evalBatch?: number;
  /**
   * When given (a safe integer), each task's training rows are visited in a fresh seeded order
   * (task.train.shuffle-style, a different seed per task position) instead of the scenario's own
   * order: repeated runs of one scenario under several seeds. Default: the scenario's order.
   */
  seed?: number;
  /** Called after the baseline, after every training batch and after every evaluation. */
  onProgress?: (progress: Progress) => void;
}

/** The outcome of {@link runScenario}. */
export interface RunResult {
  method: string;
  settings: string;
  kind: ScenarioKind;
  /** Task names in the order learned. */
  tasks: string[];
  /** R[i][j]: accuracy on task j's test rows after learning task i. */
  R: number[][];
  /** b̄[j]: accuracy on task j's test rows before any training. */
  baseline: number[];
  /** Average accuracy after the last task (see `averageAccuracy`). */
  acc: number;
  /** Backward transfer (see `backwardTransfer`); NaN for one task. */
  bwt: number;
  /** Forward transfer (see `forwardTransfer`); NaN for one task. */
  fwt: number;
  /** The prequential error of the training stream (see `prequentialSummary`). */
  prequential: PrequentialSummary;
  /** Training rows per task. */
  taskRows: number[];
  /** Wall seconds of the whole run (baseline, training and evaluations). */
  timeSeconds: number;
  /** Wall seconds inside `learnTask` (training, with its prequential predictions). */
  trainSeconds: number;
  /** Wall seconds of the evaluations (baseline included). */
  evalSeconds: number;
}

/**
 * The index of the largest of `scores[offset + c]` for c in `classes` (or every c in [0, outputs)
 * when `classes` is null); the first such on ties. NaN scores never win; when every candidate is NaN
 * the first candidate is chosen.
 */
function argmax(scores: Float32Array, offset: number, outputs: number, classes: readonly number[] | null): number {
  let best = -1;
  let value = NaN;
  const count = classes ? classes.length : outputs;
  for (let k = 0; k < count; ++k) {
    const c = classes ? classes[k] : k;
    const v = scores[offset + c];
    if (best < 0 ? !Number.isNaN(v) : v > value) {
      best = c;
      value = v;
    }
  }
  return best >= 0 ? best : classes ? classes[0] : 0;
}

/**
 * Predicted classes from a method's scores (rows × outputs): the argmax over every output, or, for a
 * task-incremental scenario, over `classes` only (the task's label set, given at test time).
 */
export function predict(scores: Float32Array, rows: number, outputs: number, classes: readonly number[] | null = null): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; ++r) out[r] = argmax(scores, r * outputs, outputs, classes);
  return out;
}

/**
 * The method's accuracy on a task's test rows, scored `evalBatch` rows at a time; task-incremental
 * scenarios predict among `task.classes` only.
 */
export async function evaluateTask(scenario: Scenario, method: ContinualMethod, task: Task, evalBatch = 1000): Promise<number> {
  const test = task.test;
  if (test.rows === 0) throw rangeError(`the test rows of task ${task.name}`, 'at least one row', 0);
  const labels = test.labels as Int32Array;
  const classes = scenario.kind === 'task' ? task.classes : null;
  let correct = 0;
  for (let start = 0; start < test.rows; start += evalBatch) {
    const end = Math.min(start + evalBatch, test.rows);
    const rows = end - start;
    const scores = await method.scores(test.x.subarray(start * test.inputSize, end * test.inputSize), rows);
    if (!types.isFloat32Array(scores)) throw typeError(`${method.name}.scores(…)`, 'a Float32Array', scores);
    if (scores.length !== rows * scenario.outputs)
      throw rangeError(`${method.name}.scores(…).length`, `${rows * scenario.outputs} (${rows} rows × ${scenario.outputs} outputs)`, scores.length);
    const predicted = predict(scores, rows, scenario.outputs, classes);
    for (let r = 0; r < rows; ++r) if (predicted[r] === labels[start + r]) ++correct;
  }
  return correct / test.rows;
}

function checkScenario(scenario: Scenario): void {
  if (typeof scenario !== 'object' || scenario === null) throw typeError('scenario', 'a Scenario', scenario);
  check.integer(scenario.outputs, 'scenario.outputs', 1, 1 << 20);
  const tasks: unknown = scenario.tasks;
  if (!Array.isArray(tasks) || tasks.length === 0) throw rangeError('scenario.tasks', 'a non-empty array of tasks', tasks);
  scenario.tasks.forEach((task, i) => {
    for (const part of ['train', 'test'] as const) {
      const d = task[part];
      if (d.inputSize !== scenario.inputSize) throw rangeError(`scenario.tasks[${i}].${part}.inputSize`, `${scenario.inputSize} (scenario.inputSize)`, d.inputSize);
      if (d.labels === null) throw rangeError(`scenario.tasks[${i}].${part}.labels`, 'present', null);
      if (d.classes > scenario.outputs) throw rangeError(`scenario.tasks[${i}].${part}.classes`, `at most scenario.outputs (${scenario.outputs})`, d.classes);
    }
    if (task.classes.length === 0 || task.classes.some((c) => !Number.isInteger(c) || c < 0 || c >= scenario.outputs))
      throw rangeError(`scenario.tasks[${i}].classes`, `a non-empty list of outputs in [0, ${scenario.outputs - 1}]`, task.classes);
  });
}

/** A per-position seed for RunOptions.seed's reshuffles. */
function taskSeed(seed: number, position: number): number {
  return Number(BigInt.asUintN(52, BigInt(seed) * 0x9e3779b97f4a7c15n + BigInt(position + 1) * 0xd1b54a32d192ed03n));
}

/**
 * Runs `method` through `scenario`:
 * 1. b̄[j] = accuracy on task j's test rows before any training;
 * 2. for each task i in order: `method.learnTask(task, batches, onPredicted)` with the task's
 *    training rows once, `batch` rows at a time (x, one-hot y over `scenario.outputs`, labels); the
 *    method's predictions of each batch, reported through `onPredicted` before it learns the batch,
 *    give the prequential error; then R[i][j] = accuracy on task j's test rows, for every j.
 *
 * Accuracy: the predicted class is the argmax of `method.scores` over all outputs, or over
 * `task.classes` only for task-incremental scenarios; scored `evalBatch` rows at a time.
 * Rows of a batch the method never reported predictions for are NaN in the prequential curve.
 * The method is not disposed.
 * @throws when the method reports predictions for an unknown batch, twice for one batch, or of the
 * wrong length, or when its scores have the wrong length.
 */
export async function runScenario(scenario: Scenario, method: ContinualMethod, options?: RunOptions): Promise<RunResult> {
  checkScenario(scenario);
  const o = check.options(options, 'options', ['batch', 'evalBatch', 'seed', 'onProgress'] as const);
  const batch = o.batch === undefined ? 100 : check.integer(o.batch, 'options.batch', 1, 2 ** 31 - 1);
  const evalBatch = o.evalBatch === undefined ? 1000 : check.integer(o.evalBatch, 'options.evalBatch', 1, 2 ** 31 - 1);
  const seed = o.seed === undefined ? null : check.integer(o.seed, 'options.seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw typeError('options.onProgress', 'a function', o.onProgress);
  const onProgress = o.onProgress as RunOptions['onProgress'];

  const T = scenario.tasks.length;
  const taskRows = scenario.tasks.map((t) => t.train.rows);
  const totalRows = taskRows.reduce((a, b) => a + b, 0);
  const curve = new Float64Array(totalRows).fill(NaN);
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  let trainSeconds = 0;
  let evalSeconds = 0;
  let rowsSeen = 0;

  const evaluateAll = async (after: number): Promise<number[]> => {
    const t0 = performance.now();
    const row: number[] = [];
    for (const task of scenario.tasks) {
      const value = await evaluateTask(scenario, method, task, evalBatch);
      row.push(value);
      if (after >= 0) onProgress?.({ phase: 'evaluate', task: after, tasks: T, rows: rowsSeen, totalRows, evaluated: { task: task.index, accuracy: value }, seconds: seconds() });
    }
    evalSeconds += (performance.now() - t0) / 1000;
    return row;
  };

  const baseline = await evaluateAll(-1);
  onProgress?.({ phase: 'baseline', task: -1, tasks: T, rows: 0, totalRows, seconds: seconds() });

  const R: number[][] = [];
  let offset = 0;
  for (let i = 0; i < T; ++i) {
    const task = scenario.tasks[i];
    const taskStart = offset;
    /** Stream offsets of the batches handed out and not yet predicted. */
    const pending = new Map<TaskBatch, number>();
    const batches = task.train.batches({ size: batch, order: seed === null ? undefined : permutation(task.train.rows, taskSeed(seed, i)) });
    let handed = taskStart;
    async function* stream(): AsyncGenerator<TaskBatch> {
      let previous: TaskBatch | null = null;
      for (const b of batches) {
        // Asking for the next batch means the previous one was learned: count it as seen.
        if (previous) {
          rowsSeen += previous.rows;
          onProgress?.({ phase: 'train', task: i, tasks: T, rows: rowsSeen, totalRows, seconds: seconds() });
        }
        const out: TaskBatch = { x: b.x, y: b.y as Float32Array, labels: b.labels as Int32Array, rows: b.rows };
        pending.set(out, handed);
        handed += b.rows;
        previous = out;
        yield out;
      }
      if (previous) {
        rowsSeen += previous.rows;
        onProgress?.({ phase: 'train', task: i, tasks: T, rows: rowsSeen, totalRows, seconds: seconds() });
      }
    }
    const onPredicted = (b: TaskBatch, predicted: Int32Array): void => {
      const at = pending.get(b);
      if (at === undefined) throw rangeError('onPredicted(batch)', 'a batch of the current task handed out by the harness and not already predicted', b);
      if (!types.isInt32Array(predicted)) throw typeError('onPredicted(…, predicted)', 'an Int32Array of predicted classes', predicted);
      if (predicted.length !== b.rows) throw rangeError('onPredicted(…, predicted).length', `${b.rows} (one per row of the batch)`, predicted.length);
      pending.delete(b);
      for (let r = 0; r < b.rows; ++r) curve[at + r] = predicted[r] === b.labels[r] ? 0 : 1;
    };
    const t0 = performance.now();
    await method.learnTask(task, stream(), onPredicted);
    trainSeconds += (performance.now() - t0) / 1000;
    offset += task.train.rows;
    rowsSeen = offset; // whether or not the method consumed every batch, the task is over
    R.push(await evaluateAll(i));
  }

  const { acc, bwt, fwt } = transferMetrics(R, baseline);
  return {
    method: method.name,
    settings: method.settings,
    kind: scenario.kind,
    tasks: scenario.tasks.map((t) => t.name),
    R,
    baseline,
    acc,
    bwt,
    fwt,
    prequential: prequentialSummary(curve, taskRows),
    taskRows,
    timeSeconds: seconds(),
    trainSeconds,
    evalSeconds,
  };
}

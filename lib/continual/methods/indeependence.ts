/**
 * The package's own model as a continual learner: an {@link Autoencoder} over the joint vector
 * [x, y] (y one-hot over the scenario's outputs) that collects every training row's statistics and
 * refits its weights on a schedule; a test row's scores are its completed label values ŷ.
 */
import type { Solver, StatisticsMode, UpperStatistics } from '../../config';
import { rangeError, typeError } from '../../errors';
import { Autoencoder } from '../../model';
import * as check from '../../validate';
import type { ContinualMethod, Task, TaskBatch } from '../types';

const UPPER_STATISTICS: Record<UpperStatistics, (samples: number) => string> = {
  collected: () => 'collected',
  replay: (samples) => `replayed (${samples} samples per class)`,
  moments: () => 'propagated moments',
};

/** Options of {@link IndeependenceMethod}. */
export interface IndeependenceMethodOptions {
  /** Code sizes, bottom to top. Default [400, 250, 150]. */
  layers?: readonly number[];
  /** Default `'cumulative'` (exact statistics: a single layer then forgets nothing). */
  statistics?: StatisticsMode;
  /** α of collect for `'ema'` statistics, in [0, 1]. Default 0.01. */
  alpha?: number;
  /** Default `'eig'`. */
  solver?: Solver;
  /** Steps per learn (Adam steps or subspace iterations; `'eig'` solves once whatever it is), an integer ≥ 1. Default 100. */
  learnSteps?: number;
  /**
   * When to refit the weights: `'task'` at the end of each task only (default), or an integer n ≥ 1:
   * after every n rows within a task (batches are split at those boundaries, so the learns fall exactly
   * every n rows) and at the end of each task.
   */
  learnEvery?: 'task' | number;
  /** Inference steps of every prediction (prequential and test), an integer ≥ 0. Default 0. */
  inferSteps?: number;
  /** Adam rate of learn and infer. Default 0.01. */
  rate?: number;
  /** Seed of the initial weights. Default 1. */
  seed?: number;
  /**
   * Where the upper layers' statistics come from (see {@link UpperStatistics}). Default `'moments'`:
   * better than `'collected'` and `'replay'` on every scenario of EVALUATION.md.
   */
  upperStatistics?: UpperStatistics;
  /** Samples per class of `'replay'`. Default 1000. */
  replaySamples?: number;
  /** Name in tables and plots. Default 'indeependence'. */
  name?: string;
}

/**
 * The autoencoder as a {@link ContinualMethod}. learnTask, per batch: first the batch's labels are
 * inferred by the model as it stands (the prequential prediction, reported to `onPredicted`), then the
 * batch is collected with its one-hot labels, and the weights are refitted per `learnEvery`; at the
 * task's end the weights are refitted once more when rows were collected since the last refit.
 * All calls run off the event loop (the model's async twins).
 */
export class IndeependenceMethod implements ContinualMethod {
  readonly name: string;
  readonly settings: string;
  readonly model: Autoencoder;
  readonly learnEvery: 'task' | number;
  readonly inferSteps: number;
  readonly learnSteps: number;
  readonly alpha: number;
  /** Rows collected since the last refit. */
  #sinceLearn = 0;
  /** Refits so far. */
  learns = 0;

  /**
   * @param shape the scenario's input size and number of outputs (a Scenario will do): the joint
   * vector is inputSize + outputs values.
   * @throws TypeError / RangeError for bad sizes or options.
   */
  constructor(shape: { inputSize: number; outputs: number }, options?: IndeependenceMethodOptions) {
    if (typeof shape !== 'object' || shape === null) throw typeError('shape', 'an object { inputSize, outputs }', shape);
    const o = check.options(options, 'options', [
      'layers',
      'statistics',
      'alpha',
      'solver',
      'learnSteps',
      'learnEvery',
      'inferSteps',
      'rate',
      'seed',
      'upperStatistics',
      'replaySamples',
      'name',
    ] as const);
    if (o.name !== undefined && (typeof o.name !== 'string' || o.name === '')) throw typeError('options.name', 'a non-empty string', o.name);
    this.name = (o.name as string | undefined) ?? 'indeependence';
    if (o.learnEvery === undefined || o.learnEvery === 'task') this.learnEvery = 'task';
    else if (typeof o.learnEvery === 'number') this.learnEvery = check.integer(o.learnEvery, 'options.learnEvery', 1, Number.MAX_SAFE_INTEGER);
    else throw typeError('options.learnEvery', "'task' or an integer ≥ 1", o.learnEvery);
    this.inferSteps = o.inferSteps === undefined ? 0 : check.integer(o.inferSteps, 'options.inferSteps', 0, 100_000_000);
    this.learnSteps = o.learnSteps === undefined ? 100 : check.integer(o.learnSteps, 'options.learnSteps', 1, 100_000_000);
    this.alpha = o.alpha === undefined ? 0.01 : check.finiteNumber(o.alpha, 'options.alpha', 0, 1);
    this.model = new Autoencoder({
      inputSize: shape.inputSize,
      labelSize: check.integer(shape.outputs, 'shape.outputs', 1, 1 << 20),
      layers: (o.layers ?? [400, 250, 150]) as readonly number[],
      statistics: (o.statistics ?? 'cumulative') as StatisticsMode,
      solver: (o.solver ?? 'eig') as Solver,
      ...(o.rate === undefined ? {} : { rate: o.rate as number }),
      ...(o.seed === undefined ? {} : { seed: o.seed as number }),
      upperStatistics: (o.upperStatistics ?? 'moments') as UpperStatistics,
      ...(o.replaySamples === undefined ? {} : { replaySamples: o.replaySamples as number }),
    });
    const c = this.model.config;
    const schedule = this.learnEvery === 'task' ? 'at task ends' : `every ${this.learnEvery} rows and at task ends`;
    const steps = c.solver === 'eig' ? '' : ` (${this.learnSteps} steps)`;
    this.settings =
      `layers [${c.layers.join(', ')}], ${c.statistics}${c.statistics === 'ema' ? ` α ${this.alpha}` : ''} statistics, ` +
      `${c.solver}${steps} ${schedule}, infer ${this.inferSteps} steps, seed ${c.seed}` +
      (c.layers.length > 1 ? `, upper statistics ${UPPER_STATISTICS[c.upperStatistics](c.replaySamples)}` : '');
  }

  async #learn(): Promise<void> {
    await this.model.learnAsync({ steps: this.learnSteps });
    this.#sinceLearn = 0;
    this.learns += 1;
  }

  async learnTask(_task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void): Promise<void> {
    const n = this.model.config.inputSize;
    const k = this.model.config.labelSize;
    for await (const batch of batches) {
      if (batch.y.length !== batch.rows * k) throw rangeError('batch.y.length', `${batch.rows * k} (${batch.rows} one-hot rows of ${k})`, batch.y.length);
      if (onPredicted) onPredicted(batch, (await this.model.inferAsync(batch.x, { steps: this.inferSteps })).labels);
      if (this.learnEvery === 'task') {
        await this.model.collectAsync(batch.x, batch.y, { alpha: this.alpha });
        this.#sinceLearn += batch.rows;
        continue;
      }
      // Split the batch where the schedule falls, so the learns come exactly every learnEvery rows.
      for (let start = 0; start < batch.rows; ) {
        const end = Math.min(batch.rows, start + this.learnEvery - this.#sinceLearn);
        await this.model.collectAsync(batch.x.subarray(start * n, end * n), batch.y.subarray(start * k, end * k), { alpha: this.alpha });
        this.#sinceLearn += end - start;
        if (this.#sinceLearn === this.learnEvery) await this.#learn();
        start = end;
      }
    }
    if (this.#sinceLearn > 0) await this.#learn();
  }

  /** The completed label values ŷ of `infer` (rows × outputs), with `inferSteps` steps. */
  async scores(x: Float32Array, rows: number): Promise<Float32Array> {
    const scores = (await this.model.inferAsync(x, { steps: this.inferSteps })).scores;
    if (scores.length !== rows * this.model.config.labelSize) throw rangeError('rows', `${scores.length / this.model.config.labelSize} (the rows of x)`, rows);
    return scores;
  }

  dispose(): void {
    this.model.dispose();
  }
}

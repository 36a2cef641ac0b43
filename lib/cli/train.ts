/**
 * `indeependence train`: the original program's online protocol (ALGORITHM.md, "The original
 * program's online protocol"). Bootstrap, then for each row of the shuffled stream: infer its
 * label, update the running error, collect it, learn; a checkpoint every 100 rows and at the end.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { Autoencoder } from '../model';
import type { AutoencoderConfig, Device, Solver, StatisticsMode, UpperStatistics } from '../config';
import { setThreads } from '../threads';
import type { Dataset } from '../data';
import { checkRange, loadDataset, type DataOptions } from './dataset-option';
import { Progress, formatDuration, type ProgressStream } from './progress';
import { readRecords, writeRunPlots, writeRunRecords, type RowRecord, type Sample } from './run-outputs';
import { UsageError } from './usage-error';

export interface TrainOptions extends DataOptions {
  layers: number[];
  /** Resume from a checkpoint: true for --checkpoint's file, or a path. */
  load: boolean | string;
  coeff: number;
  eval: number;
  rate: number;
  skip: number;
  limit: number;
  bootSkip?: number;
  bootLimit: number;
  infer: number;
  learnSteps: number;
  /** Learn after every this many rows (1: after each row, as the original). */
  learnEvery: number;
  /** Rows inferred together before they are collected (1: the original's row-by-row protocol). */
  block: number;
  solver: Solver;
  upperStatistics: UpperStatistics;
  replaySamples: number;
  /** BLAS threads; undefined keeps the default (one per core). */
  threads?: number;
  /** Where the model runs (a loaded checkpoint too). */
  device: Device;
  checkpoint?: string;
  out: string;
  seed: number;
  statistics: StatisticsMode;
  quiet: boolean;
}

/** Where the streams of a run go, and how it learns that it should stop (Ctrl-C). */
export interface RunContext {
  stdout: ProgressStream;
  stderr: ProgressStream;
  /** True once the user asked the run to stop (checked between rows, blocks or methods). */
  interrupted: () => boolean;
}

/** Rows between checkpoints, as in the original. */
const SAVE_EVERY = 100;
/** Bootstrap α and learn steps of the original. */
const BOOT_ALPHA = 0.5;
const BOOT_STEPS = 10_000;
/** Recent rows shown beside their reconstructions. */
const SAMPLES = 16;

/** What a checkpoint of a run records about its progress (its `run` metadata). */
interface RunState {
  stream: StreamIdentity;
  rowsDone: number;
  error: number;
  /** The objectives of the last learn: the CSV repeats them until the next one. */
  objectives: number[];
  /** The schedule the run used; a resumed run with another says so. */
  schedule: Schedule;
}

type Schedule = Pick<TrainOptions, 'coeff' | 'eval' | 'infer' | 'learnSteps' | 'learnEvery' | 'block'>;

const scheduleOf = (o: TrainOptions): Schedule => ({ coeff: o.coeff, eval: o.eval, infer: o.infer, learnSteps: o.learnSteps, learnEvery: o.learnEvery, block: o.block });

/** The schedule flags whose values differ from the saved run's, as '--flag new (was old)'. */
function scheduleChanges(saved: Schedule | undefined, now: Schedule): string[] {
  if (saved === undefined) return [];
  const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return (Object.keys(now) as (keyof Schedule)[]).filter((key) => saved[key] !== now[key]).map((key) => `${flag(key)} ${now[key]} (was ${saved[key]})`);
}

/** The stream a run walks: checkpoints made on the same stream can resume it. */
interface StreamIdentity {
  data: string;
  skip: number;
  limit: number;
  seed: number;
}

function identity(o: TrainOptions): StreamIdentity {
  return { data: o.data === 'mnist' ? 'mnist' : path.resolve(o.data), skip: o.skip, limit: o.limit, seed: o.seed };
}

/** Collects the mean input and mean label of the bootstrap rows once with α = 0.5; learns 10,000 steps when there are several. */
async function bootstrap(model: Autoencoder, dataset: Dataset, o: TrainOptions, log: (line: string) => void): Promise<void> {
  const start = o.bootSkip ?? o.skip;
  checkRange(dataset, '--boot-skip/--boot-limit', start, o.bootLimit);
  const rows = dataset.range(start, start + o.bootLimit);
  const y = rows.y();
  const meanX = new Float32Array(rows.inputSize), meanY = new Float32Array(rows.classes);
  for (let r = 0; r < rows.rows; ++r) {
    for (let i = 0; i < rows.inputSize; ++i) meanX[i] += rows.x[r * rows.inputSize + i] / rows.rows;
    for (let i = 0; i < rows.classes; ++i) meanY[i] += y[r * rows.classes + i] / rows.rows;
  }
  await model.collectAsync(meanX, meanY, { alpha: BOOT_ALPHA });
  if (o.bootLimit > 1) {
    log(`bootstrap: the mean of rows [${start}, ${start + o.bootLimit}), ${BOOT_STEPS} learn steps`);
    await model.learnAsync({ steps: BOOT_STEPS });
  }
}

/** The settings in one line (plot title, log, checkpoint metadata): the model's own configuration, which a loaded model keeps, and this run's schedule. */
function title(o: TrainOptions, config: AutoencoderConfig): string {
  const learn = `learn ${o.learnSteps}${o.learnEvery === 1 ? '' : ` every ${o.learnEvery}`}${o.block === 1 ? '' : `, block ${o.block}`}`;
  const upper = config.upperStatistics === 'collected' ? '' : ` ${config.upperStatistics}`;
  return `[${config.layers.join(',')}] ${config.statistics} ${config.solver}${upper}, coeff ${o.coeff} eval ${o.eval} rate ${config.rate}, ` +
    `rows ${o.skip}+${o.limit}, infer ${o.infer}, ${learn}, seed ${config.seed}`;
}

/** Runs the protocol; returns the exit status (0 done, 130 stopped by the user after saving). */
export async function train(o: TrainOptions, context: RunContext): Promise<number> {
  const log = (line: string) => (o.quiet ? undefined : context.stdout.write(`${line}\n`));
  if (o.threads !== undefined) setThreads(o.threads);
  const dataset = await loadDataset(o);
  if (dataset.classes === 0) throw new UsageError('the data has no labels: train needs a label per row');
  checkRange(dataset, '--skip/--limit', o.skip, o.limit);
  await fs.mkdir(o.out, { recursive: true });
  const checkpoint = o.checkpoint ?? path.join(o.out, 'model.safetensors');
  const stream = identity(o);

  let model: Autoencoder;
  let first = 0, error = 1.0;
  let records: RowRecord[] = [];
  let resumedObjectives: number[] | undefined;
  if (o.load !== false) {
    const file = typeof o.load === 'string' ? o.load : checkpoint;
    const loaded = await Autoencoder.loadWithInfo(file, { device: o.device });
    const info = loaded.info;
    model = loaded.model;
    if (model.config.inputSize !== dataset.inputSize || model.config.labelSize !== dataset.classes)
      throw new UsageError(`${file} is a model of ${model.config.inputSize} inputs and ${model.config.labelSize} labels; the data has ${dataset.inputSize} and ${dataset.classes}`);
    const run = info.metadata.run === undefined ? undefined : (JSON.parse(info.metadata.run) as RunState);
    if (run !== undefined && JSON.stringify(run.stream) === JSON.stringify(stream)) {
      first = run.rowsDone;
      error = run.error;
      resumedObjectives = run.objectives;
      const changes = scheduleChanges(run.schedule, scheduleOf(o));
      if (changes.length > 0) log(`note: resuming with another schedule than the saved run's: ${changes.join(', ')}`);
      records = (await readRecords(o.out, first, model.depth)) ?? [];
      log(`resuming ${file} at row ${first} of ${o.limit}, running error ${error.toFixed(3)}` +
        (records.length === first ? '' : ` (no earlier rows.csv in ${o.out}: the curve starts here)`));
    } else {
      log(`loaded ${file}; starting the stream from its first row`);
    }
  } else {
    model = new Autoencoder({
      inputSize: dataset.inputSize,
      labelSize: dataset.classes,
      layers: o.layers,
      rate: o.rate,
      statistics: o.statistics,
      solver: o.solver,
      seed: o.seed,
      upperStatistics: o.upperStatistics,
      replaySamples: o.replaySamples,
      device: o.device,
    });
    await bootstrap(model, dataset, o, log);
  }

  const order = dataset.range(o.skip, o.skip + o.limit).shuffle(o.seed);
  const samples: Sample[] = [];
  const settings = title(o, model.config);
  let objectives = resumedObjectives ?? Array.from(await model.objectivesAsync()); // until the first learn
  let saved = -1;
  let written = 0; // records in rows.csv and error.txt: the first save writes them whole (a resumed run's too)
  // The records first: should the checkpoint not be written, a resumed run still finds every row
  // up to the checkpoint's in rows.csv.
  const save = async (row: number) => {
    written = await writeRunRecords(o.out, records, model.depth, written);
    const run: RunState = { stream, rowsDone: row, error, objectives, schedule: scheduleOf(o) };
    await model.save(checkpoint, { metadata: { run: JSON.stringify(run), command: settings } });
    saved = row;
  };

  log(`train: ${settings}; ${o.data === 'mnist' ? 'MNIST' : o.data}, ${dataset.rows} rows; checkpoint ${checkpoint}`);
  const progress = new Progress(o.quiet ? { write: () => true } : context.stdout, o.limit, first);
  const started = performance.now();
  let row = first;
  while (row < o.limit && !context.interrupted()) {
    // Test then train, one block at a time: the block's rows are inferred by the model as it stands
    // (one batched inference), then collected; learning runs whenever the rows seen cross a
    // multiple of --learn-every. --block 1 --learn-every 1 is the original's schedule.
    const count = Math.min(o.block, o.limit - row);
    const indices = Array.from(order.subarray(row, row + count), (r) => o.skip + r);
    const { x, y, labels } = dataset.take(indices);
    const result = await model.inferAsync(x, { steps: o.infer });
    await model.collectAsync(x, y, { alpha: o.coeff });
    if (Math.floor((row + count) / o.learnEvery) > Math.floor(row / o.learnEvery))
      objectives = Array.from(await model.learnAsync({ steps: o.learnSteps }));
    const n = dataset.inputSize;
    for (let r = 0; r < count; ++r) {
      const label = labels![r], prediction = result.labels[r];
      error = (1 - o.eval) * error + o.eval * (prediction === label ? 0 : 1);
      records.push({ row: row + r, index: indices[r], label, prediction, error, objectives });
      samples.push({ x: x.slice(r * n, (r + 1) * n), reconstruction: result.reconstruction.slice(r * n, (r + 1) * n), label, prediction });
    }
    samples.splice(0, Math.max(0, samples.length - SAMPLES));
    const before = row;
    row += count;
    progress.update(row, error);
    if (Math.floor(row / SAVE_EVERY) > Math.floor(before / SAVE_EVERY)) await save(row);
  }
  progress.finish();
  if (saved !== row) await save(row);
  await writeRunPlots(o.out, settings, records, samples);
  const seconds = (performance.now() - started) / 1000;
  const stopped = row < o.limit;
  log(`${stopped ? 'stopped' : 'done'}: ${row} of ${o.limit} rows, running error ${error.toFixed(3)}, ` +
    `${formatDuration(seconds)} (${((row - first) / Math.max(seconds, 1e-9)).toFixed(2)} rows/s); checkpoint ${checkpoint}, outputs in ${o.out}` +
    (stopped ? '; resume with --load' : ''));
  model.dispose();
  return stopped ? 130 : 0;
}

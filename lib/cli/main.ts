/**
 * The `indeependence` command line: `train` (the original program's online protocol), `evaluate`,
 * `continual` (the continual-learning evaluation) and `info`. {@link main} runs one command line and returns its exit status, so that tests (and
 * embedders) can run it in-process; bin.ts is the executable around it.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

import type { UpperStatistics } from '../config';
import { packageVersion } from '../package-info';
import { evaluate } from './evaluate';
import { info } from './info';
import { continual, METHODS } from './continual';
import type { ProgressStream } from './progress';
import { train, type RunContext, type TrainOptions } from './train';
import { UsageError } from './usage-error';

function integerIn(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min || value > max)
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return value;
  };
}

function numberIn(min: number, max: number, minExclusive = false) {
  return (text: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value < min || value > max || (minExclusive && value === min))
      throw new InvalidArgumentError(`expected a number in ${minExclusive ? '(' : '['}${min}, ${max}]`);
    return value;
  };
}

/** '400,250,150' (the original's spelling), also with brackets or spaces. */
function layerList(text: string): number[] {
  const parts = text.replace(/^\s*\[|\]\s*$/g, '').split(',');
  const sizes = parts.map((part) => Number(part.trim()));
  if (parts.some((part) => !/^\s*\d+\s*$/.test(part)) || sizes.some((k) => k < 1 || k > 1 << 20))
    throw new InvalidArgumentError("expected code sizes separated by commas, e.g. '400,250,150'");
  return sizes;
}

/** The original spelled some flags with underscores (--boot_skip); every such spelling means the hyphenated flag. */
export function normaliseFlags(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    const match = /^(--[a-z]+(?:_[a-z]+)+)(=.*)?$/.exec(arg);
    return match ? match[1].replace(/_/g, '-') + (match[2] ?? '') : arg;
  });
}

const STEPS = integerIn(0, 100_000_000);

function methodList(text: string): (typeof METHODS)[number][] {
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(METHODS as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new InvalidArgumentError(`expected methods from ${METHODS.join(', ')}`);
  return names as (typeof METHODS)[number][];
}

/** '4,3,2,1,0': the scenario checks that it is a permutation of its tasks. */
function taskOrder(text: string): number[] {
  if (!/^\s*\d+(\s*,\s*\d+)*\s*$/.test(text)) throw new InvalidArgumentError("expected task indices separated by commas, e.g. '4,3,2,1,0'");
  return text.split(',').map(Number);
}
const ROWS = integerIn(0, 2 ** 32);

/** --upper-statistics and --replay-samples: train defaults to the original's source, continual to the one measured best. */
function upperStatisticsOptions(command: Command, source: UpperStatistics): Command {
  return command
    .addOption(
      new Option('--upper-statistics <source>', "where the layers above the first get their statistics: 'collected' (the original), 'replay' (re-derived from per-class moments by samples) or 'moments' (in closed form)")
        .choices(['collected', 'replay', 'moments'])
        .default(source),
    )
    .option('--replay-samples <count>', 'samples per class of --upper-statistics replay', integerIn(1, 1_000_000), 1000);
}

function dataOptions(command: Command): Command {
  return command
    .option('--data <mnist|path>', 'the bundled MNIST, or a .csv, .npy or IDX file (optionally .gz)', 'mnist')
    .option('--labels <path>', 'labels file (IDX or .npy) for --data images')
    .option('--label-column <name|index>', "label column of a --data CSV (default 'label')");
}

function program(context: RunContext, done: (status: Promise<number>) => void): Command {
  const root = new Command('indeependence')
    .description('A stacked autoencoder that learns only from streaming statistics of its data.')
    .version(packageVersion)
    .exitOverride()
    .configureOutput({ writeOut: (s) => context.stdout.write(s), writeErr: (s) => context.stderr.write(s) });

  const trainCommand = root
    .command('train')
    .description("the original program's online protocol: bootstrap, then per row of the shuffled stream infer, score, collect and learn; a checkpoint every 100 rows")
    .option('--layers <sizes>', "code sizes, bottom to top, e.g. '400,250,150'", layerList, [400, 250, 150])
    .option('--load [checkpoint]', 'start from a checkpoint (default: --checkpoint) instead of bootstrapping; resumes its stream where it stopped', false)
    .option('--coeff <alpha>', 'α of collect (moving-average significance)', numberIn(0, 1), 0.01)
    .option('--eval <coefficient>', 'coefficient of the running error average', numberIn(0, 1), 0.01)
    .option('--rate <rate>', 'Adam learning rate of learn and infer', numberIn(0, 1e6, true), 0.01)
    .option('--skip <rows>', 'the stream is rows [skip, skip + limit), visited in a shuffled order', ROWS, 0)
    .option('--limit <rows>', 'rows in the stream', ROWS, 1000)
    .option('--boot-skip <rows>', 'first bootstrap row (default: --skip)', ROWS)
    .option('--boot-limit <rows>', 'bootstrap rows: their mean is collected once with α 0.5; more than 1 also runs 10,000 learn steps', integerIn(1, 2 ** 32), 1)
    .option('--infer <steps>', 'inference steps per row', STEPS, 100)
    .option('--learn-steps <steps>', 'learn steps (Adam steps, subspace iterations; eig solves once) each time it learns', STEPS, 100)
    .addOption(new Option('--solver <solver>', 'how learning fits the weights to the statistics').choices(['adam', 'subspace', 'eig']).default('adam'))
    .option('--learn-every <rows>', 'learn after every this many rows', integerIn(1, 2 ** 32), 1)
    .option('--block <rows>', 'rows inferred together before they are collected (test-then-train per block)', integerIn(1, 65536), 1)
    .option('--threads <count>', 'BLAS threads (default: one per core)', integerIn(1, 1024))
    .addOption(new Option('--device <device>', "where the model runs: 'cpu', or 'cuda' (an NVIDIA GPU; see the README)").choices(['cpu', 'cuda']).default('cpu'))
    .option('--checkpoint <path>', 'checkpoint file (default: <out>/model.safetensors)')
    .option('--out <folder>', 'folder for the checkpoint, error curve, CSV and plots', 'indeependence-run')
    .option('--seed <integer>', 'seed of the initial weights and of the stream order', integerIn(0, Number.MAX_SAFE_INTEGER), 1)
    .addOption(new Option('--statistics <mode>', 'statistics of every layer').choices(['ema', 'cumulative']).default('ema'))
    .option('--quiet', 'no progress output', false);
  dataOptions(upperStatisticsOptions(trainCommand, 'collected')).action((options: TrainOptions) => done(train(options, context)));

  const evaluateCommand = root
    .command('evaluate')
    .description('accuracy and confusion matrix of a checkpoint on a row range, learning nothing')
    .requiredOption('--checkpoint <path>', 'the checkpoint to evaluate')
    .option('--skip <rows>', 'first row', ROWS, 60000)
    .option('--limit <rows>', 'rows to evaluate', ROWS, 10000)
    .option('--infer <steps>', 'inference steps per row', STEPS, 100)
    .option('--batch <rows>', 'rows inferred together', integerIn(1, 65536), 256)
    .option('--json', 'print the result as JSON', false);
  dataOptions(evaluateCommand).action((options) => done(evaluate(options, context)));

  const continualCommand = root
    .command('continual')
    .description('a continual-learning scenario on MNIST: every method learns the tasks in turn; R matrix, ACC, BWT, FWT, prequential error, plots')
    .addOption(new Option('--scenario <kind>', 'split MNIST class-, task- or domain-incremental, or permuted MNIST').choices(['class', 'task', 'domain', 'permuted']).default('class'))
    .option('--method <names>', `methods, comma-separated, from ${METHODS.join(', ')}`, methodList, [...METHODS])
    .option('--order <tasks>', "task order, e.g. '4,3,2,1,0' (default: 0,1,2,...)", taskOrder)
    .option('--tasks <count>', 'tasks of permuted MNIST', integerIn(2, 50), 5)
    .option('--train-rows <rows>', 'training rows per task (default: all)', integerIn(1, 60000))
    .option('--validation <rows>', 'hold out this many training rows per task and score on them instead of the test rows (for tuning)', integerIn(1, 60000))
    .option('--layers <sizes>', 'code sizes of this package\'s model', layerList, [400, 250, 150])
    .addOption(new Option('--statistics <mode>', 'statistics of this package\'s model').choices(['ema', 'cumulative']).default('cumulative'))
    .addOption(new Option('--solver <solver>', 'solver of this package\'s model').choices(['adam', 'subspace', 'eig']).default('eig'))
    .option('--learn-every <rows>', 'refit this package\'s model every this many rows (default: at task ends)', integerIn(1, 2 ** 32))
    .option('--infer-steps <steps>', 'inference steps of this package\'s predictions', STEPS, 0)
    .option('--ewc-lambda <lambda>', 'EWC\'s λ', numberIn(0, 1e30), 1e6)
    .option('--joint-epochs <epochs>', 'passes over the data of the joint upper bound', integerIn(1, 1000), 3)
    .option('--batch <rows>', 'rows per batch handed to the methods', integerIn(1, 65536), 100)
    .option('--seed <integer>', 'seed of the task streams and of every method', integerIn(0, Number.MAX_SAFE_INTEGER), 1)
    .option('--threads <count>', 'BLAS threads (default: one per core)', integerIn(1, 1024))
    .option('--out <folder>', 'folder for results.json, metrics.csv, R-*.csv and the plots', 'indeependence-continual')
    .option('--json', 'print the results as JSON', false)
    .option('--quiet', 'no progress output', false);
  upperStatisticsOptions(continualCommand, 'moments').action((options) => done(continual(options, context)));

  root
    .command('info')
    .description("a checkpoint's configuration, counters and run metadata")
    .argument('<checkpoint>', 'the checkpoint file')
    .option('--json', 'print as JSON', false)
    .action((file: string, options: { json: boolean }) => done(info(file, options.json, context)));
  return root;
}

/** Runs one command line (without the node and script arguments); resolves to the exit status. */
export async function main(argv: readonly string[], context: RunContext): Promise<number> {
  let status: Promise<number> = Promise.resolve(0);
  const say = (stream: ProgressStream, line: string) => stream.write(`indeependence: ${line}\n`);
  try {
    const command = program(context, (s) => (status = s));
    if (argv.length === 0) {
      command.outputHelp();
      return 2;
    }
    await command.parseAsync(normaliseFlags(argv), { from: 'user' });
    return await status;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2; // commander has printed its one-line reason or the help
    if (error instanceof UsageError) {
      say(context.stderr, error.message);
      return 2;
    }
    say(context.stderr, (error as Error).message ?? String(error));
    if (process.env.INDEE_DEBUG) context.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}

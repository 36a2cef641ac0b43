/**
 * `indeependence continual`: one continual-learning scenario on the bundled MNIST, every requested
 * method through the same harness and rows; prints each method's accuracy matrix R and its metrics,
 * and writes them (JSON, CSV) with two kinds of plot: each task's accuracy as the tasks are learned,
 * and the final accuracies side by side.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { writeFileAtomic } from '../checkpoint';
import type { Solver, StatisticsMode, UpperStatistics } from '../config';
import { mnistScenario, runScenario, type ContinualMethod, type RunResult, type Scenario, type ScenarioKind } from '../continual';
import { runJoint, type JointResult } from '../continual/joint';
import { IndeependenceMethod } from '../continual/methods/indeependence';
import { MlpMethod } from '../continual/methods/mlp';
import { StreamingLdaMethod } from '../continual/methods/slda';
import { barChart, lineChart } from '../plot';
import { setThreads } from '../threads';
import type { RunContext } from './train';
import { UsageError } from './usage-error';

/** The methods the command knows, in table order. */
export const METHODS = ['indeependence', 'indeependence-ema', 'slda', 'finetune', 'ewc', 'joint'] as const;
export type MethodName = (typeof METHODS)[number];

export interface ContinualOptions {
  scenario: ScenarioKind;
  method: MethodName[];
  order?: number[];
  tasks: number;
  trainRows?: number;
  validation?: number;
  layers: number[];
  statistics: StatisticsMode;
  solver: Solver;
  learnEvery?: number;
  inferSteps: number;
  upperStatistics: UpperStatistics;
  replaySamples: number;
  ewcLambda: number;
  jointEpochs: number;
  batch: number;
  seed: number;
  threads?: number;
  out: string;
  json: boolean;
  quiet: boolean;
}

/** One method's outcome: a sequential run (with R) or the joint upper bound. */
export type MethodResult = { kind: 'sequential'; result: RunResult } | { kind: 'joint'; result: JointResult };

function makeMethod(name: MethodName, scenario: Scenario, o: ContinualOptions): ContinualMethod {
  const shape = { inputSize: scenario.inputSize, outputs: scenario.outputs };
  const ours = {
    layers: o.layers,
    solver: o.solver,
    inferSteps: o.inferSteps,
    seed: o.seed,
    learnEvery: o.learnEvery ?? ('task' as const),
    upperStatistics: o.upperStatistics,
    replaySamples: o.replaySamples,
  };
  switch (name) {
    case 'indeependence':
      return new IndeependenceMethod(shape, { ...ours, statistics: o.statistics, name: `indeependence (${o.statistics})` });
    case 'indeependence-ema':
      return new IndeependenceMethod(shape, { ...ours, statistics: 'ema', name: 'indeependence (ema)' });
    case 'slda':
      return new StreamingLdaMethod(shape);
    case 'finetune':
      return new MlpMethod(shape, { seed: o.seed });
    case 'ewc':
      return new MlpMethod(shape, { seed: o.seed, ewcLambda: o.ewcLambda });
    case 'joint':
      return new MlpMethod(shape, { seed: o.seed, epochs: o.jointEpochs, name: 'joint (upper bound)' });
  }
}

const percent = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : '—');
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}` : '—');

/** R as a text table: rows "after task i", columns "task j". */
export function matrixTable(tasks: readonly string[], R: readonly (readonly number[])[]): string {
  const width = Math.max(6, ...tasks.map((t) => t.length + 1));
  const cell = (s: string) => s.padStart(width);
  const header = `${'after'.padEnd(10)}${tasks.map(cell).join('')}`;
  return [header, ...R.map((row, i) => `${tasks[i].padEnd(10)}${row.map((x) => cell(percent(x))).join('')}`)].join('\n');
}

function summaryLine(r: MethodResult): string {
  if (r.kind === 'joint') return `${r.result.method}: ACC ${percent(r.result.acc)}%  (${r.result.timeSeconds.toFixed(1)} s)`;
  const x = r.result;
  return `${x.method}: ACC ${percent(x.acc)}%  BWT ${signed(x.bwt)}  FWT ${signed(x.fwt)}  prequential error ${percent(x.prequential.mean)}%  (${x.timeSeconds.toFixed(1)} s)`;
}

/** The plots' bitmap font is ASCII: spell out the two non-ASCII characters of names and titles. */
const ascii = (text: string) => text.replace(/λ/g, 'lambda').replace(/→/g, '->');

const finalAccuracies = (r: MethodResult): number[] => (r.kind === 'joint' ? r.result.accuracies : r.result.R[r.result.R.length - 1]);

async function writeOutputs(o: ContinualOptions, scenario: Scenario, results: MethodResult[], title: string): Promise<void> {
  await fs.mkdir(o.out, { recursive: true });
  const tasks = scenario.tasks.map((t) => t.name);
  const file = (name: string) => path.join(o.out, name);
  await writeFileAtomic(file('results.json'), Buffer.from(JSON.stringify({ scenario: o.scenario, tasks, options: o, results })));
  const metrics = ['method,acc,bwt,fwt,prequential_error,seconds,settings'];
  for (const r of results) {
    const x = r.result;
    const sequential = r.kind === 'sequential' ? r.result : null;
    metrics.push([JSON.stringify(x.method), x.acc, sequential?.bwt ?? '', sequential?.fwt ?? '', sequential?.prequential.mean ?? '', x.timeSeconds, JSON.stringify(x.settings)].join(','));
    if (sequential) {
      const slug = x.method.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
      const csv = [`after,${tasks.join(',')}`, ...sequential.R.map((row, i) => `${tasks[i]},${row.join(',')}`)].join('\n');
      await writeFileAtomic(file(`R-${slug}.csv`), Buffer.from(csv + '\n'));
      const chart = lineChart({
        series: tasks.map((name, j) => ({ values: sequential.R.map((row, i) => (i >= j ? 100 * row[j] : NaN)), label: `task ${name}` })),
        title: ascii(`${x.method}: ${title}`),
        xLabel: 'tasks learned',
        yLabel: 'accuracy on the task (%)',
        yMin: 0,
        yMax: 100,
        xStart: 1,
        width: 900,
        height: 500,
      });
      await writeFileAtomic(file(`accuracy-${slug}.png`), chart);
    }
  }
  await writeFileAtomic(file('metrics.csv'), Buffer.from(metrics.join('\n') + '\n'));
  const bars = barChart({
    groups: [...tasks, 'mean (ACC)'],
    series: results.map((r) => {
      const final = finalAccuracies(r);
      return { label: ascii(r.result.method), values: [...final, r.result.acc].map((v) => 100 * v) };
    }),
    title: ascii(`final accuracy per task: ${title}`),
    yLabel: 'accuracy (%)',
    yMin: 0,
    yMax: 100,
    valueLabels: results.length <= 4,
    width: 1200,
    height: 550,
  });
  await writeFileAtomic(file('final.png'), bars);
}

export async function continual(o: ContinualOptions, context: RunContext): Promise<number> {
  const log = (line: string) => (o.quiet || o.json ? undefined : context.stdout.write(`${line}\n`));
  if (o.threads !== undefined) setThreads(o.threads);
  if (o.scenario !== 'permuted' && o.tasks !== 5) throw new UsageError('--tasks applies to --scenario permuted (split MNIST has 5 tasks)');
  const scenario = await mnistScenario(o.scenario, {
    seed: o.seed,
    ...(o.order ? { order: o.order } : {}),
    ...(o.trainRows !== undefined ? { trainRows: o.trainRows } : {}),
    ...(o.validation !== undefined ? { validation: o.validation } : {}),
    ...(o.scenario === 'permuted' ? { tasks: o.tasks } : {}),
  }).catch((error: Error & { code?: string }) => {
    throw error.code === 'ERR_OUT_OF_RANGE' || error.code === 'ERR_INVALID_ARG_TYPE' ? new UsageError(error.message) : error;
  });
  const tasks = scenario.tasks.map((t) => t.name);
  const title = `${o.scenario}-incremental${o.scenario === 'permuted' ? ' (permuted MNIST)' : ' split MNIST'}, tasks ${tasks.join(' → ')}` +
    `${o.validation !== undefined ? `, validation (${o.validation} held-out rows per task)` : ''}`;
  log(`continual: ${title}; ${scenario.tasks.reduce((n, t) => n + t.train.rows, 0)} training rows`);

  const results: MethodResult[] = [];
  for (const name of o.method) {
    const method = makeMethod(name, scenario, o);
    try {
      log(`\n${method.name} (${method.settings})`);
      if (name === 'joint') {
        results.push({ kind: 'joint', result: await runJoint(scenario, method, { batch: o.batch, seed: o.seed }) });
        log(`final accuracies: ${finalAccuracies(results[results.length - 1]).map(percent).join(', ')}`);
      } else {
        const result = await runScenario(scenario, method, { batch: o.batch });
        results.push({ kind: 'sequential', result });
        log(matrixTable(tasks, result.R));
      }
      log(summaryLine(results[results.length - 1]));
    } finally {
      method.dispose();
    }
    if (context.interrupted()) break;
  }
  await writeOutputs(o, scenario, results, title);
  if (o.json) context.stdout.write(`${JSON.stringify({ scenario: o.scenario, tasks, results })}\n`);
  else log(`\n${results.map(summaryLine).join('\n')}\nwritten to ${o.out}: results.json, metrics.csv, R-*.csv, accuracy-*.png, final.png`);
  return results.length < o.method.length ? 130 : 0;
}

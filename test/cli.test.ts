/** The command line: the original protocol end to end, its files, resume, Ctrl-C, and clean usage errors. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Autoencoder, mnist } from '../lib';
import { main, normaliseFlags } from '../lib/cli/main';
import { Progress } from '../lib/cli/progress';
import { decodePng } from './png-decode';

let folder: string;
beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-cli-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

/** Runs one command line in-process, capturing its output; `stopAfter` rows simulates Ctrl-C. */
async function run(args: string[], stopAfter = Infinity) {
  let stdout = '', stderr = '', checks = 0;
  const status = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    interrupted: () => checks++ >= stopAfter,
  });
  return { status, stdout, stderr };
}

const small = (out: string) => ['train', '--layers', '6,4', '--skip', '20000', '--limit', '40', '--infer', '5', '--learn-steps', '3', '--out', out];

test('train runs the protocol and writes the curve, the CSV, both plots and a checkpoint', async () => {
  const out = path.join(folder, 'full');
  const { status, stdout, stderr } = await run([...small(out), '--boot_limit', '3']);
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  expect(stdout).toMatch(/bootstrap: the mean of rows \[20000, 20003\), 10000 learn steps/);
  expect(stdout).toMatch(/done: 40 of 40 rows, running error 0\.\d{3}/);

  const curve = fs.readFileSync(path.join(out, 'error.txt'), 'utf8').trim().split('\n').map(Number);
  expect(curve).toHaveLength(40);
  const csv = fs.readFileSync(path.join(out, 'rows.csv'), 'utf8').trim().split('\n');
  expect(csv[0]).toBe('row,index,label,prediction,running_error,objective_0,objective_1');
  const rows = csv.slice(1).map((line) => line.split(',').map(Number));
  expect(rows).toHaveLength(40);
  // The running error is the original's: err ← 0.99·err + 0.01·[wrong], from 1.0.
  let error = 1;
  const data = await mnist();
  rows.forEach(([row, index, label, prediction, running], i) => {
    expect(row).toBe(i);
    expect(label).toBe(data.labels![index]);
    error = 0.99 * error + 0.01 * (label === prediction ? 0 : 1);
    expect(running).toBeCloseTo(error, 12);
    expect(curve[i]).toBe(running);
  });
  // Every row of [skip, skip + limit) once, in a shuffled order.
  const indices = rows.map((r) => r[1]);
  expect([...indices].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => 20000 + i));
  expect(indices).not.toEqual([...indices].sort((a, b) => a - b));

  for (const [file, minWidth] of [['error.png', 600], ['reconstructions.png', 200]] as const) {
    const image = decodePng(fs.readFileSync(path.join(out, file)));
    expect(image.width).toBeGreaterThanOrEqual(minWidth);
    expect(image.height).toBeGreaterThan(100);
  }
  const info = await Autoencoder.inspect(path.join(out, 'model.safetensors'));
  expect(JSON.parse(info.metadata.run)).toMatchObject({ rowsDone: 40, error: rows[39][4] });
  expect(info.layers.map((l) => l.rows)).toEqual([41, 41]); // the bootstrap rows' mean, then 40 rows
  expect(info.layers.map((l) => l.adamSteps)).toEqual([10120, 10120]); // 10,000 bootstrap steps, then 3 per row
  expect(info.config.layers).toEqual([6, 4]);
});

test.each([
  ['the original schedule', []],
  ['learning every 3 rows', ['--learn-every', '3']],
])('a run stopped midway and resumed with --load ends exactly where an uninterrupted run ends (%s)', async (_, schedule) => {
  const once = path.join(folder, `once${schedule.length}`), twice = path.join(folder, `twice${schedule.length}`);
  expect((await run([...small(once), ...schedule])).status).toBe(0);
  const stopped = await run([...small(twice), ...schedule], 13);
  expect(stopped.status).toBe(130);
  expect(stopped.stdout).toMatch(/stopped: 13 of 40 rows.*resume with --load/);
  expect(fs.readFileSync(path.join(twice, 'error.txt'), 'utf8').trim().split('\n')).toHaveLength(13);
  const resumed = await run([...small(twice), ...schedule, '--load']);
  expect(resumed.status).toBe(0);
  expect(resumed.stdout).toMatch(/resuming .* at row 13 of 40/);
  expect(resumed.stdout).not.toMatch(/another schedule/);
  for (const file of ['rows.csv', 'error.txt', 'model.safetensors', 'error.png'])
    expect(fs.readFileSync(path.join(twice, file)).equals(fs.readFileSync(path.join(once, file)))).toBe(true);
});

test('resuming with other schedule flags than the saved run says which', async () => {
  const out = path.join(folder, 'changed');
  expect((await run(small(out), 5)).status).toBe(130);
  const resumed = await run([...small(out), '--load', '--coeff', '0.02', '--learn-every', '2']);
  expect(resumed.status).toBe(0);
  expect(resumed.stdout).toMatch(/note: resuming with another schedule than the saved run's: --coeff 0\.02 \(was 0\.01\), --learn-every 2 \(was 1\)/);
});

test('evaluate reports the accuracy and confusion matrix that infer gives, and info the counters', async () => {
  const out = path.join(folder, 'full');
  const checkpoint = path.join(out, 'model.safetensors');
  const { status, stdout } = await run(['evaluate', '--checkpoint', checkpoint, '--skip', '60000', '--limit', '50', '--infer', '0', '--batch', '16', '--json']);
  expect(status).toBe(0);
  const result = JSON.parse(stdout);
  const model = await Autoencoder.load(checkpoint);
  const data = (await mnist()).range(60000, 60050);
  const labels = model.infer(data.x, { steps: 0 }).labels;
  const correct = labels.filter((p, r) => p === data.labels![r]).length;
  expect(result).toMatchObject({ rows: 50, correct, accuracy: correct / 50 });
  expect(result.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(50);
  expect(result.confusion.map((row: number[], label: number) => row[label]).reduce((a: number, b: number) => a + b, 0)).toBe(correct);

  const text = await run(['evaluate', '--checkpoint', checkpoint, '--skip', '60000', '--limit', '50', '--infer', '0']);
  expect(text.stdout).toMatch(new RegExp(`accuracy ${((100 * correct) / 50).toFixed(2)}% \\(${correct} of 50 rows`));
  const info = await run(['info', checkpoint]);
  expect(info.stdout).toMatch(/layers \[6, 4\]/);
  expect(info.stdout).toMatch(/layer 0: 794 → 6, 41 rows collected, 10120 optimiser steps/);
});

test('train reads a CSV of the user\'s own', async () => {
  const csv = path.join(folder, 'own.csv');
  const lines = ['a,b,c,d,label'];
  for (let r = 0; r < 30; ++r) lines.push(`${r % 3},${(r * 7) % 5},0.5,${r / 30},${r % 3}`);
  fs.writeFileSync(csv, lines.join('\n'));
  const out = path.join(folder, 'own');
  const { status, stderr } = await run(['train', '--data', csv, '--layers', '3', '--limit', '30', '--infer', '3', '--learn-steps', '2', '--out', out, '--quiet']);
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  const info = await Autoencoder.inspect(path.join(out, 'model.safetensors'));
  expect([info.config.inputSize, info.config.labelSize]).toEqual([4, 3]);
});

describe('usage errors exit with status 2 and one line, no stack', () => {
  test.each([
    [['train', '--rate', 'abc'], /--rate.*'abc' is invalid.*expected a number/],
    [['train', '--layers', '400,x'], /--layers.*expected code sizes/],
    [['train', '--statistics', 'median'], /--statistics.*median.*Allowed choices are ema, cumulative/],
    [['train', '--frobnicate'], /unknown option '--frobnicate'/],
    [['train', '--skip', '69990', '--limit', '100', '--quiet', '--out', '/tmp/indee-never'], /rows \[69990, 70090\) are past the end of the data \(70000 rows\)/],
    [['evaluate'], /required option '--checkpoint <path>' not specified/],
    [['train', '--data', 'pixels.bin'], /cannot tell the format/],
    [['launch'], /unknown command 'launch'/],
  ])('%j', async (args, reason) => {
    const { status, stdout, stderr } = await run(args as string[]);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(reason);
  });

  test('a file that is not a checkpoint exits with status 1 and names it', async () => {
    const file = path.join(folder, 'not-a-checkpoint');
    fs.writeFileSync(file, 'hello');
    const { status, stderr } = await run(['info', file]);
    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^indeependence: .*${file}.*8-byte header length`))]);
  });
});

test('--help of every command lists its flags; the original underscore spellings are accepted', async () => {
  for (const command of ['train', 'evaluate', 'info']) {
    const { status, stdout } = await run([command, '--help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(new RegExp(`Usage: indeependence ${command}`));
  }
  const train = (await run(['train', '--help'])).stdout;
  for (const flag of ['--layers', '--load', '--coeff', '--eval', '--rate', '--skip', '--limit', '--boot-skip', '--boot-limit', '--infer', '--learn-steps', '--checkpoint', '--out', '--seed', '--statistics', '--data', '--quiet'])
    expect(train).toContain(flag);
  expect(normaliseFlags(['--boot_skip', '5', '--boot_limit=3', '--learn_steps', 'x_y', '-x'])).toEqual(['--boot-skip', '5', '--boot-limit=3', '--learn-steps', 'x_y', '-x']);
});

test('Ctrl-C (SIGINT) stops the real executable after saving a checkpoint it can resume from', async () => {
  const out = path.join(folder, 'sigint');
  const bin = path.join(__dirname, '..', 'dist', 'cli', 'bin.js');
  const child = spawn(process.execPath, [bin, 'train', '--layers', '4', '--limit', '60000', '--infer', '1', '--learn-steps', '1', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve) =>
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      if (/rows 100\/60000/.test(stdout)) resolve();
    }),
  );
  child.kill('SIGINT');
  const status = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  expect(status).toBe(130);
  expect(stderr).toMatch(/stopping at the next safe point \(train saves a checkpoint\)/);
  expect(stdout).toMatch(/stopped: \d+ of 60000 rows/);
  const info = await Autoencoder.inspect(path.join(out, 'model.safetensors'));
  const { rowsDone } = JSON.parse(info.metadata.run);
  expect(rowsDone).toBeGreaterThanOrEqual(100);
  expect(fs.readFileSync(path.join(out, 'error.txt'), 'utf8').trim().split('\n')).toHaveLength(rowsDone);
});

test('on a terminal the progress is one line redrawn in place; elsewhere a line per 100 rows', () => {
  let tty = '', log = '';
  const terminal = new Progress({ write: (s: string) => (tty += s), isTTY: true, columns: 100 }, 200, 0);
  const plain = new Progress({ write: (s: string) => (log += s) }, 200, 0);
  for (let done = 1; done <= 200; ++done) {
    terminal.update(done, 0.5);
    plain.update(done, 0.5);
  }
  terminal.finish();
  expect(tty.startsWith('\r[')).toBe(true);
  expect(tty).toMatch(/\r\[#{30}\] rows 200\/200 .* running error 0\.500\x1b\[K\n$/);
  expect(tty.split('\n')).toHaveLength(2); // one line, redrawn, then ended
  expect(log.trim().split('\n').map((line) => line.replace(/ {2}.*running/, ' running'))).toEqual([
    'rows 100/200 running error 0.500',
    'rows 200/200 running error 0.500',
  ]);
});

test('--solver eig with --block and --learn-every: batched test-then-train, learning every few rows', async () => {
  const out = path.join(folder, 'fast');
  const { status, stderr } = await run(['train', '--layers', '20', '--skip', '30000', '--limit', '60', '--infer', '10', '--solver', 'eig', '--statistics', 'cumulative', '--block', '7', '--learn-every', '20', '--out', out, '--quiet']);
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  const rows = fs.readFileSync(path.join(out, 'rows.csv'), 'utf8').trim().split('\n').slice(1).map((line) => line.split(',').map(Number));
  expect(rows).toHaveLength(60);
  let error = 1;
  for (const [, , label, prediction, running] of rows) {
    error = 0.99 * error + 0.01 * (label === prediction ? 0 : 1);
    expect(running).toBeCloseTo(error, 12);
  }
  // Learning happens in the blocks that cross 20, 40 and 60 rows: the objective changes only there.
  const objective = rows.map((r) => r[5]);
  const changes = objective.flatMap((f, i) => (i > 0 && f !== objective[i - 1] ? [i] : []));
  expect(changes).toEqual([14, 35, 56]); // first rows of the blocks [14, 21), [35, 42), [56, 60)
  const info = await Autoencoder.inspect(path.join(out, 'model.safetensors'));
  expect(info.config.solver).toBe('eig');
  expect(info.layers[0]).toMatchObject({ rows: 61, adamSteps: 0 });
});

test('continual runs every method through one scenario and writes the matrices, metrics and plots', async () => {
  const out = path.join(folder, 'continual');
  const { status, stdout, stderr } = await run(['continual', '--scenario', 'task', '--method', 'indeependence,finetune,joint', '--train-rows', '60', '--order', '4,3,2,1,0', '--joint-epochs', '1', '--out', out, '--json']);
  expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  const printed = JSON.parse(stdout);
  expect(printed.tasks).toEqual(['8/9', '6/7', '4/5', '2/3', '0/1']);
  const [ours, finetune, joint] = printed.results;
  expect(ours.kind).toBe('sequential');
  expect(ours.result.R).toHaveLength(5);
  for (const row of ours.result.R) expect(row).toHaveLength(5);
  // ACC is the mean of R's last row; BWT the mean drop from R[j][j] to R[4][j].
  const last = ours.result.R[4];
  expect(ours.result.acc).toBeCloseTo(last.reduce((a: number, b: number) => a + b, 0) / 5, 12);
  expect(ours.result.bwt).toBeCloseTo([0, 1, 2, 3].reduce((s, j) => s + last[j] - ours.result.R[j][j], 0) / 4, 12);
  expect(finetune.result.method).toBe('fine-tuning');
  expect(joint).toMatchObject({ kind: 'joint', result: { method: 'joint (upper bound)' } });
  expect(joint.result.accuracies).toHaveLength(5);
  // Task-incremental: two classes to choose from, so even an untrained model is right about half the time.
  for (const accuracy of ours.result.baseline) expect(accuracy).toBeGreaterThan(0.2);

  const metrics = fs.readFileSync(path.join(out, 'metrics.csv'), 'utf8').trim().split('\n');
  expect(metrics[0]).toBe('method,acc,bwt,fwt,prequential_error,seconds,settings');
  expect(metrics).toHaveLength(4);
  const matrix = fs.readFileSync(path.join(out, 'R-indeependence-cumulative.csv'), 'utf8').trim().split('\n');
  expect(matrix[0]).toBe('after,8/9,6/7,4/5,2/3,0/1');
  expect(matrix[5].split(',').slice(1).map(Number)).toEqual(last);
  for (const png of ['final.png', 'accuracy-indeependence-cumulative.png', 'accuracy-fine-tuning.png'])
    expect(decodePng(fs.readFileSync(path.join(out, png))).width).toBeGreaterThan(500);
});

test.each([
  [['continual', '--method', 'indeependence,gem'], /--method.*expected methods from indeependence/],
  [['continual', '--order', '0,1,2'], /order/],
  [['continual', '--tasks', '7'], /--tasks applies to --scenario permuted/],
])('continual usage error %j', async (args, reason) => {
  const { status, stderr } = await run(args as string[]);
  expect(status).toBe(2);
  expect(stderr.trim().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(reason);
});

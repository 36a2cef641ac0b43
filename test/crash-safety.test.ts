/**
 * Crash safety of checkpoints: a process killed at any moment while it saves leaves a checkpoint
 * that loads and is exactly one complete saved version; a save on a full disk fails with a clear
 * error and keeps the previous checkpoint.
 *
 * INDEE_CRASH_KILLS sets the number of kills (default 200: about 60 s on a loaded 2-core machine; `npm run test:crash` runs 2,000).
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Autoencoder, oneHot } from '../lib';

interface Versions {
  options: { inputSize: number; labelSize: number; layers: number[]; seed: number; initScale: number };
  advance(model: Autoencoder, k: number, hot: typeof oneHot, sync?: boolean): Promise<void>;
  metadataOf(k: number): Record<string, string>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const versions = require('./fixtures/crash-versions.js') as Versions;

const KILLS = Number(process.env.INDEE_CRASH_KILLS ?? 200);
if (!Number.isInteger(KILLS) || KILLS < 1) throw new Error(`INDEE_CRASH_KILLS must be a positive integer; got ${process.env.INDEE_CRASH_KILLS}`);

const saver = path.join(__dirname, 'fixtures', 'crash-saver.js');
const CHECKPOINT = 'model.safetensors';
/** The temporary files of lib/checkpoint/atomic-file.ts: `.<name>.<pid>.<12 hex>.tmp` beside the target. */
const TEMPORARY = /^\.model\.safetensors\.(\d+)\.[0-9a-f]{12}\.tmp$/;

let folder: string;
beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-crash-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The parent's own copy of the version chain: advanced (never rewound) to the version asked for. */
class Chain {
  readonly model = new Autoencoder(versions.options);
  version = 0;
  async bytesOf(k: number): Promise<Buffer> {
    if (k < this.version) throw new Error(`the chain is at version ${this.version}, past ${k}: versions on disk went backwards`);
    while (this.version < k) await versions.advance(this.model, ++this.version, oneHot, true);
    return this.model.toBuffer({ metadata: versions.metadataOf(k) });
  }
}

interface Run {
  pid: number;
  /** The version the child resumed at, if it got that far. */
  ready?: number;
  /** The last version whose save returned before the kill. */
  lastSaved?: number;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  phase: 'before ready' | 'before first save' | 'saving';
}

/** Starts the saver, kills it with SIGKILL after a random delay, and reports what it printed. */
async function killedRun(file: string): Promise<Run> {
  const child = spawn(process.execPath, [saver, file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Partial<Run> & { stderr: string } = { pid: child.pid!, stderr: '' };
  let onSaved: () => void = () => undefined;
  const saved = new Promise<void>((resolve) => (onSaved = resolve));
  let pendingText = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (pendingText + chunk).split('\n');
    pendingText = lines.pop()!;
    for (const line of lines) {
      const [word, k] = line.split(' ');
      if (word === 'ready') run.ready = Number(k);
      else if (word === 'saved') {
        run.lastSaved = Number(k);
        onSaved();
      } else run.stderr += `unexpected output: ${line}\n`;
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (run.stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('close', (code, signal) => Object.assign(run, { code, signal }) && resolve()));

  if (Math.random() < 0.1) {
    // Anywhere from process start-up through loading the previous checkpoint to the first saves.
    await Promise.race([sleep(Math.random() * 250), exited]);
  } else {
    // Inside the save loop, once it runs steadily: a save of this 0.3 MB model takes a few ms, so
    // these land in every part of it (encoding, writing, fsync, rename, fsync of the folder).
    await Promise.race([saved, exited]);
    await Promise.race([sleep(Math.random() * 25), exited]);
  }
  run.phase = run.ready === undefined ? 'before ready' : run.lastSaved === undefined ? 'before first save' : 'saving';
  child.kill('SIGKILL');
  await exited;
  return run as Run;
}

interface LaneResult {
  phases: Record<string, number>;
  saves: number;
  finalVersion: number;
  leftovers: string[];
  leftoverBytes: number;
}

/** `kills` kill-and-check rounds on one checkpoint path, in a folder of its own. */
async function lane(dir: string, kills: number, killed: Set<number>): Promise<LaneResult> {
  const file = path.join(dir, CHECKPOINT);
  const chain = new Chain();
  const phases: Record<string, number> = {};
  let onDisk = 0; // the version in the file (0: no file yet)
  let saves = 0;

  for (let i = 0; i < kills; ++i) {
    const run = await killedRun(file);
    killed.add(run.pid);
    phases[run.phase] = (phases[run.phase] ?? 0) + 1;
    // It died of our SIGKILL, not of an error of its own.
    if (run.signal !== 'SIGKILL') throw new Error(`kill ${i}: the saver exited by itself (code ${run.code}, signal ${run.signal}):\n${run.stderr}`);
    expect(run.stderr).toBe('');
    if (run.ready !== undefined) expect(run.ready).toBe(onDisk); // it resumed from the version last seen on disk

    // The last save that returned is on disk, or the one after it, which may have completed its rename before the kill.
    const acknowledged = run.lastSaved ?? onDisk;
    saves += acknowledged - onDisk;
    if (!fs.existsSync(file)) {
      expect(acknowledged).toBe(0);
      continue;
    }
    const bytes = fs.readFileSync(file);
    const { model, info } = await Autoencoder.loadWithInfo(file);
    const version = Number(info.metadata.version);
    if (version !== acknowledged && version !== acknowledged + 1)
      throw new Error(`kill ${i}: the file holds version ${version}; the last save that returned was ${acknowledged}`);
    // Exactly that version, bit for bit: the file as the parent's own copy of the chain encodes it,
    // and the model loaded from it encodes back to the same bytes.
    const expected = await chain.bytesOf(version);
    if (!bytes.equals(expected)) throw new Error(`kill ${i}: the file is not the complete version ${version} (${bytes.length} bytes, expected ${expected.length})`);
    expect(model.toBuffer({ metadata: versions.metadataOf(version) }).equals(expected)).toBe(true);
    model.dispose();
    onDisk = version;

    // Nothing else beside the checkpoint but temporary files of killed savers, one at most per kill.
    const owners = new Set<number>();
    for (const name of fs.readdirSync(dir)) {
      if (name === CHECKPOINT) continue;
      const pid = Number(TEMPORARY.exec(name)?.[1]);
      if (!killed.has(pid) || owners.has(pid)) throw new Error(`kill ${i}: unexpected file ${name} beside the checkpoint`);
      owners.add(pid);
    }
  }
  chain.model.dispose();
  const leftovers = fs.readdirSync(dir).filter((name) => TEMPORARY.test(name));
  const leftoverBytes = leftovers.reduce((sum, name) => sum + fs.statSync(path.join(dir, name)).size, 0);
  return { phases, saves, finalVersion: onDisk, leftovers, leftoverBytes };
}

test(`a saver SIGKILLed ${KILLS} times at random moments always leaves exactly one complete version`, async () => {
  // Two independent chains at once where there are two cores: half the wall time in CI.
  const lanes = Math.min(2, os.availableParallelism(), KILLS);
  const killed = new Set<number>();
  const started = Date.now();
  const results = await Promise.all(
    Array.from({ length: lanes }, (_, l) => {
      const dir = fs.mkdtempSync(path.join(folder, `lane${l}-`));
      return lane(dir, Math.floor(KILLS / lanes) + (l < KILLS % lanes ? 1 : 0), killed);
    }),
  );
  const phases: Record<string, number> = {};
  for (const r of results) for (const [phase, n] of Object.entries(r.phases)) phases[phase] = (phases[phase] ?? 0) + n;
  const leftovers = results.reduce((sum, r) => sum + r.leftovers.length, 0);
  const leftoverBytes = results.reduce((sum, r) => sum + r.leftoverBytes, 0);
  const saves = results.reduce((sum, r) => sum + r.saves, 0);
  console.log(
    `crash safety: ${killed.size} kills survived in ${((Date.now() - started) / 1000).toFixed(1)} s (${lanes} lanes); ` +
      `kill moments ${JSON.stringify(phases)}; ${saves} saves returned, final versions ${results.map((r) => r.finalVersion).join(', ')}; ` +
      `${leftovers} temporary files (${(leftoverBytes / 2 ** 20).toFixed(1)} MiB) left by killed saves ` +
      `(${((100 * leftovers) / KILLS).toFixed(0)}% of kills), none removed by later saves`,
  );
  expect(killed.size).toBe(KILLS);
  // The kills must have hit the save loop, and saves must have made progress between them.
  expect(phases.saving ?? 0).toBeGreaterThan(KILLS / 2);
  expect(saves).toBeGreaterThan(KILLS / 2);
}, Math.max(60_000, KILLS * 1_000));

// The temporary file of a save killed between open and rename would otherwise stay forever (a
// trainer killed repeatedly, by the OOM killer or preemption, would fill its folder with partial
// checkpoints): the next save removes those of processes that no longer exist, and only those.
test('a save removes the temporary files that killed saves left beside its target', async () => {
  const file = path.join(folder, 'stale.safetensors');
  // A temporary file exactly as a killed saver leaves it: its pid is that of a process that has exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const stale = path.join(folder, `.stale.safetensors.${dead.stdout}.0123456789ab.tmp`);
  fs.writeFileSync(stale, Buffer.alloc(1000));
  const alive = path.join(folder, `.stale.safetensors.${process.ppid}.0123456789ab.tmp`); // a saver that still runs
  fs.writeFileSync(alive, Buffer.alloc(10));
  const model = new Autoencoder(versions.options);
  await model.save(file);
  expect(fs.existsSync(stale)).toBe(false);
  expect(fs.existsSync(alive)).toBe(true);
  fs.rmSync(alive);
});

// ---- full disk -----------------------------------------------------------------------------------

/** A model whose checkpoint is about `size` bytes larger than the small one's. */
function modelOfSize(inputSize: number, seed: number): Autoencoder {
  const model = new Autoencoder({ inputSize, labelSize: 2, layers: [4], seed });
  model.collect(Float32Array.from({ length: 3 * inputSize }, (_, i) => Math.sin(i + seed)), oneHot([0, 1, 0], 2));
  return model;
}

/** The checks after a save that must have failed: a clear error, no temporary file, the previous checkpoint intact. */
async function expectFailedSaveHarmless(dir: string, file: string, previous: Buffer, error: { code?: string; message?: string }, code: string) {
  expect(error.code).toBe(code);
  expect(error.message).toContain(`could not save ${file}`);
  expect(fs.readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  expect(fs.readFileSync(file).equals(previous)).toBe(true);
  const loaded = await Autoencoder.load(file);
  expect(loaded.toBuffer().equals(previous)).toBe(true);
  loaded.dispose();
}

/**
 * Mounts a tmpfs of `size` on `dir` (root with CAP_SYS_ADMIN, as in the dev and CI containers); with
 * `probe`, on a fresh folder inside `dir` that is unmounted and removed at once.
 */
function tryMountTmpfs(dir: string, size: string, probe = false): boolean {
  if (process.platform !== 'linux') return false;
  const target = probe ? fs.mkdtempSync(path.join(dir, 'indee-probe-')) : dir;
  try {
    const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', target], { stdio: 'ignore' }).status === 0;
    if (ok && probe) spawnSync('umount', [target], { stdio: 'ignore' });
    return ok;
  } finally {
    if (probe) fs.rmSync(target, { recursive: true, force: true });
  }
}

describe('a save on a full disk', () => {
  // Probed while the tests are collected, so that a container without the permission reports the
  // tmpfs test as skipped (with the reason printed) rather than passed. Mounted and unmounted by
  // the hooks, which jest skips together when a filter leaves no test of this block to run.
  const mayMount = tryMountTmpfs(os.tmpdir(), '1m', true);
  if (!mayMount)
    console.warn(
      'crash-safety: SKIPPING the tmpfs (ENOSPC) full-disk test: `mount -t tmpfs` is not permitted here. ' +
        'The RLIMIT_FSIZE (EFBIG) variant still runs.',
    );
  let mountPoint = '';
  beforeAll(() => {
    if (!mayMount) return;
    mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-full-'));
    if (!tryMountTmpfs(mountPoint, '1m')) throw new Error(`could not mount a tmpfs on ${mountPoint}, although the probe could`);
  });
  afterAll(() => {
    if (!mountPoint) return;
    spawnSync('umount', [mountPoint], { stdio: 'ignore' });
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });

  (mayMount ? test : test.skip)('on a full tmpfs fails with ENOSPC, leaves no temporary file and keeps the previous checkpoint', async () => {
    const file = path.join(mountPoint, 'model.safetensors');
    const small = modelOfSize(100, 1); // ≈ 0.2 MB
    await small.save(file);
    const previous = fs.readFileSync(file);
    // ≈ 1.3 MB: cannot fit in the 1 MB file system beside the previous checkpoint.
    const big = modelOfSize(270, 2);
    const error = await big.save(file).then(() => undefined, (e: unknown) => e as { code?: string; message?: string });
    expect(error).toBeInstanceOf(Error);
    await expectFailedSaveHarmless(mountPoint, file, previous, error!, 'ENOSPC');
    // Space is the only problem: a save that fits succeeds afterwards.
    await modelOfSize(100, 3).save(file);
    expect(fs.readdirSync(mountPoint)).toEqual(['model.safetensors']);
  });

  test('past RLIMIT_FSIZE fails with EFBIG, leaves no temporary file and keeps the previous checkpoint', async () => {
    // A child whose files may not grow past 512 kB (ulimit -f counts 1 kB blocks in bash), with
    // SIGXFSZ ignored so that the write fails with EFBIG instead of killing the process.
    const dir = fs.mkdtempSync(path.join(folder, 'fsize-'));
    const file = path.join(dir, 'model.safetensors');
    const small = modelOfSize(100, 1);
    await small.save(file); // by this process, unlimited
    const previous = fs.readFileSync(file);
    const script = `
      const { Autoencoder } = require(${JSON.stringify(path.join(__dirname, '..', 'dist'))});
      const model = new Autoencoder({ inputSize: 270, labelSize: 2, layers: [4], seed: 2 });
      model.save(${JSON.stringify(file)}).then(
        () => console.log(JSON.stringify({ saved: true })),
        (e) => console.log(JSON.stringify({ saved: false, isError: e instanceof Error, code: e.code, message: e.message })));`;
    const child = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 512 && exec "$0" -e "$1"`, process.execPath, script], { encoding: 'utf8' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const result = JSON.parse(child.stdout);
    expect(result).toMatchObject({ saved: false, isError: true });
    await expectFailedSaveHarmless(dir, file, previous, result, 'EFBIG');
  });
});

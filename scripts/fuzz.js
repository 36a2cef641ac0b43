#!/usr/bin/env node
'use strict';
/**
 * The long fuzz run, against the built package (dist/ and the native build): the targets of
 * scripts/fuzz/targets.js (the same ones test/fuzz.test.ts runs briefly), each in a worker thread.
 *
 *   node scripts/fuzz.js --cases 1000000            # all targets, cases shared out by weight
 *   node scripts/fuzz.js --cases 5000 --target npy,csv --seed 42
 *   node scripts/fuzz.js --replay npy:123456:17     # re-runs one reported case and prints it
 *
 * Options: --cases N (total, default 1000000), --target a,b (default all), --seed S (default: from
 * the clock, printed), --chunk N (cases generated per seed, default 250), --slow-ms N (a case
 * longer than this is a failure, default 1000), --hang-ms N (a case still running after this is a
 * hang: the worker is stopped and restarted after that case, default 20000), --jobs N (workers at
 * once, default 1).
 * A case is identified by its target, the seed of its chunk and its index in the chunk; --replay
 * takes that triple. Prints per-target counts, failures with their replay triple, wall time and
 * peak RSS; exits 1 on any failure.
 */
const path = require('node:path');
const { performance } = require('node:perf_hooks');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');

const root = path.join(__dirname, '..');

function loadApi() {
  const api = require(path.join(root, 'dist'));
  const checkpoint = require(path.join(root, 'dist', 'checkpoint'));
  return { ...api, decodeCheckpoint: checkpoint.decodeCheckpoint, encodeCheckpoint: checkpoint.encodeCheckpoint };
}

function loadTargets() {
  const fc = require('fast-check');
  const { createTargets } = require('./fuzz/targets');
  return { fc, ...createTargets(fc, loadApi()) };
}

/** The seed of chunk `c` of target `t` in a run seeded `seed`. */
function chunkSeed(seed, t, c) {
  let h = (seed ^ Math.imul(t + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (c + 0x632be5ab), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

// ------------------------------------------------------------------------------------ the worker

async function workerMain() {
  const { target: name, from, to, seed, chunk, slowMs, progress: shared } = workerData;
  const progress = new Float64Array(shared);
  const { fc, targets, cleanup } = loadTargets();
  const t = targets.findIndex((x) => x.name === name);
  const target = targets[t];
  const { describeError } = require('./fuzz/targets');
  const failures = [];
  const outcomes = {};
  let slowest = { ms: 0, at: null };
  try {
    for (let c = Math.floor(from / chunk); c * chunk < to; ++c) {
      const s = chunkSeed(seed, t, c);
      const values = fc.sample(target.arbitrary, { seed: s, numRuns: chunk });
      for (let i = 0; i < chunk; ++i) {
        const index = c * chunk + i;
        if (index < from) continue;
        if (index >= to) break;
        progress[1] = s;
        progress[2] = i;
        progress[3] = Date.now();
        const t0 = performance.now();
        try {
          const tag = String(await target.run(values[i]));
          outcomes[tag] = (outcomes[tag] ?? 0) + 1;
        } catch (error) {
          const harness = !(error && error.name === 'FuzzFailure');
          failures.push({ kind: harness ? 'error' : 'failure', replay: `${name}:${s}:${i}`, message: harness ? describeError(error) : error.message });
        }
        const ms = performance.now() - t0;
        if (ms > slowest.ms) slowest = { ms, at: `${name}:${s}:${i}` };
        if (ms > slowMs) failures.push({ kind: 'slow', replay: `${name}:${s}:${i}`, message: `the case took ${ms.toFixed(0)} ms (limit ${slowMs} ms)` });
        progress[0] = index + 1;
        progress[3] = 0;
        if (failures.length > 200) failures.splice(100, failures.length - 150);
      }
    }
  } finally {
    cleanup();
  }
  parentPort.postMessage({ failures, slowest, outcomes });
}

// --------------------------------------------------------------------------------- the main thread

function parseArgs(argv) {
  const o = { cases: 1_000_000, target: null, seed: Date.now() % 2 ** 31, chunk: 250, slowMs: 1000, hangMs: 20000, jobs: 1, replay: null };
  for (let i = 0; i < argv.length; ++i) {
    const key = argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, ch) => ch.toUpperCase());
    const value = argv[++i];
    if (!(key in o) || value === undefined) throw new Error(`unknown or incomplete option ${argv[i - 1]} (see the top of scripts/fuzz.js)`);
    o[key] = key === 'target' || key === 'replay' ? value : Number(value);
  }
  return o;
}

async function replay(triple) {
  const [name, seedText, indexText] = triple.split(':');
  const { fc, targets, cleanup } = loadTargets();
  const target = targets.find((x) => x.name === name);
  if (!target) throw new Error(`no target ${name} (targets: ${targets.map((x) => x.name).join(', ')})`);
  const index = Number(indexText);
  const value = fc.sample(target.arbitrary, { seed: Number(seedText), numRuns: index + 1 })[index];
  const text = fc.stringify(value);
  console.log(`case ${triple}:\n${text.length > 6000 ? `${text.slice(0, 6000)}… (${text.length} characters)` : text}`);
  const t0 = performance.now();
  try {
    await target.run(value);
    console.log(`passed in ${(performance.now() - t0).toFixed(1)} ms`);
  } catch (error) {
    console.log(`FAILED in ${(performance.now() - t0).toFixed(1)} ms:`);
    console.log(error && error.stack ? error.stack : error);
    if (error && error.cause) console.log('cause:', error.cause.stack || error.cause);
    process.exitCode = 1;
  } finally {
    cleanup();
  }
}

function runTarget(o, name, total, from, report) {
  return new Promise((resolve) => {
    const shared = new SharedArrayBuffer(4 * 8);
    const progress = new Float64Array(shared);
    progress[0] = from;
    const worker = new Worker(__filename, { workerData: { target: name, from, to: total, seed: o.seed, chunk: o.chunk, slowMs: o.slowMs, progress: shared } });
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearInterval(watch);
      resolve(result);
    };
    report.progress[name] = progress;
    const watch = setInterval(async () => {
      const started = progress[3];
      if (started > 0 && Date.now() - started > o.hangMs) {
        const at = `${name}:${progress[1]}:${progress[2]}`;
        const failure = { kind: 'hang', replay: at, message: `no result after ${o.hangMs} ms` };
        clearInterval(watch);
        const stopped = await Promise.race([worker.terminate().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
        if (!stopped) {
          // A synchronous native call that never returns cannot be interrupted: report and stop here.
          report.failures.push(failure);
          report.fatal = `the worker of ${name} could not be stopped (stuck in native code?)`;
          finish({ failures: [], slowest: null, next: total });
          return;
        }
        finish({ failures: [failure], slowest: null, next: progress[0] + 1 });
      }
    }, 500);
    worker.on('message', (m) => finish({ ...m, next: total }));
    // A worker that dies takes its results with it: the cases it completed are counted by the worker
    // restarted after the case in flight (its replay triple; that case may need the ones before it
    // in the same worker to fail again), which reports only its own outcomes.
    const during = () => `during case ${progress[0]} of ${total}`;
    worker.on('error', (error) => finish({ failures: [{ kind: 'crash', replay: `${name}:${progress[1]}:${progress[2]}`, message: `worker error ${during()}: ${error && error.stack}` }], slowest: null, next: progress[0] + 1 }));
    worker.on('exit', (code) => finish({ failures: code === 0 ? [] : [{ kind: 'crash', replay: `${name}:${progress[1]}:${progress[2]}`, message: `worker exited with ${code} ${during()}` }], slowest: null, next: code === 0 ? total : progress[0] + 1 }));
  });
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.replay) return replay(o.replay);
  const { targets, cleanup } = loadTargets();
  cleanup();
  const chosen = o.target ? targets.filter((t) => o.target.split(',').includes(t.name)) : targets;
  if (chosen.length === 0) throw new Error(`no target matches ${o.target} (targets: ${targets.map((t) => t.name).join(', ')})`);
  const weight = chosen.reduce((a, t) => a + t.weight, 0);
  const plan = chosen.map((t) => ({ name: t.name, cases: Math.floor((o.cases * t.weight) / weight) }));
  plan[0].cases += o.cases - plan.reduce((a, p) => a + p.cases, 0);
  console.log(`fuzz: ${o.cases} cases, seed ${o.seed}, targets ${plan.map((p) => `${p.name} (${p.cases})`).join(', ')}`);

  const report = { failures: [], progress: {}, fatal: null, stats: {} };
  const start = performance.now();
  let peakRss = process.memoryUsage.rss();
  const ticker = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 250);
  const printer = setInterval(() => {
    const done = plan.reduce((a, p) => a + (report.progress[p.name] ? report.progress[p.name][0] : 0), 0);
    const s = (performance.now() - start) / 1000;
    console.log(`  ${done}/${o.cases} cases, ${s.toFixed(0)} s, ${(done / s).toFixed(0)} cases/s, rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB, ${report.failures.length} failures`);
  }, 60000);

  const queue = [...plan];
  const runOne = async () => {
    for (let p = queue.shift(); p && !report.fatal; p = queue.shift()) {
      const t0 = performance.now();
      let from = 0;
      let slowest = { ms: 0, at: null };
      const outcomes = {};
      while (from < p.cases && !report.fatal) {
        const result = await runTarget(o, p.name, p.cases, from, report);
        report.failures.push(...result.failures);
        for (const [tag, n] of Object.entries(result.outcomes ?? {})) outcomes[tag] = (outcomes[tag] ?? 0) + n;
        if (result.slowest && result.slowest.ms > slowest.ms) slowest = result.slowest;
        from = result.next;
      }
      report.stats[p.name] = { cases: p.cases, seconds: (performance.now() - t0) / 1000, slowest, outcomes };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.jobs) }, runOne));
  clearInterval(ticker);
  clearInterval(printer);
  peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);

  const wall = (performance.now() - start) / 1000;
  console.log('\nper target:');
  let total = 0;
  for (const p of plan) {
    const s = report.stats[p.name];
    if (!s) continue;
    total += s.cases;
    console.log(`  ${p.name.padEnd(18)} ${String(s.cases).padStart(8)} cases  ${s.seconds.toFixed(1).padStart(7)} s  slowest ${s.slowest.ms.toFixed(1)} ms${s.slowest.at ? ` (${s.slowest.at})` : ''}`);
    console.log(`  ${''.padEnd(18)} ${Object.entries(s.outcomes).sort((a, b) => b[1] - a[1]).map(([tag, n]) => `${tag}: ${n}`).join(', ')}`);
  }
  console.log(`  ${'total'.padEnd(18)} ${String(total).padStart(8)} cases  ${wall.toFixed(1).padStart(7)} s  peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  if (report.fatal) console.log(`\nstopped early: ${report.fatal}`);
  if (report.failures.length > 0) {
    const groups = new Map();
    for (const f of report.failures) {
      const key = `${f.kind}: ${f.message.split('\n')[0].replace(/\d+/g, 'N').slice(0, 160)}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(f);
    }
    console.log(`\n${report.failures.length} failures, ${groups.size} distinct:`);
    for (const [, list] of groups) {
      console.log(`\n[${list[0].kind}] ×${list.length}: ${list[0].message}`);
      console.log(`  replay: ${list.slice(0, 3).map((f) => `node scripts/fuzz.js --replay ${f.replay}`).join('\n          ')}`);
    }
    process.exitCode = 1;
  } else {
    console.log('\nno failures');
  }
}

if (isMainThread) {
  main().catch((error) => {
    console.error(error && error.stack ? error.stack : error);
    process.exitCode = 2;
  });
} else {
  workerMain().catch((error) => {
    parentPort.postMessage({ failures: [{ kind: 'crash', replay: `${workerData.target}:?:?`, message: `worker failed: ${error && error.stack}` }], slowest: null });
  });
}

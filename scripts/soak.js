#!/usr/bin/env node
// Soak test: one model collects 10⁶ MNIST-sized rows (784 inputs + 10 labels) with learning at
// intervals and async calls (collect, learn, infer, encode, objectives) mixed in, printing the
// resident set size every 10⁵ rows. Fails (exit 1) if the RSS after the first 10⁵ rows varies by
// more than 5%: memory must be flat once the model's buffers exist, whatever the number of rows.
//
//   npm run soak                       (uses the built dist/: npm run build:all first)
//   node scripts/soak.js --rows 200000 --layers 400,250,150 --tolerance 0.05
//
// The RSS is read after forced garbage collections, so that it measures what is retained rather
// than when V8 happens to collect; the script restarts itself with --expose-gc for that.
'use strict';

if (typeof global.gc !== 'function') {
  const { spawnSync } = require('node:child_process');
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status === null ? 1 : child.status);
}

const path = require('node:path');
const { Autoencoder, threads } = require(path.join(__dirname, '..', 'dist'));

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}
const ROWS = Number(option('rows', 1e6));
const LAYERS = option('layers', '400,250,150').split(',').map(Number);
const TOLERANCE = Number(option('tolerance', 0.05));
const REPORT_EVERY = Number(option('report-every', 1e5));
const BATCH = 1000;
const LEARN_EVERY = 20_000; // rows between learnAsync calls
const PROBE_EVERY = 5_000; // rows between infer/encode/objectives probes
const INPUT = 784, CLASSES = 10;

// MNIST-like rows without the download: ten fixed "digit" prototypes in [0, 1] plus noise, clipped.
//
// Each batch is written into memory reused from batch to batch (a fresh Float32Array view each time,
// over one ArrayBuffer per batch size). Fresh 3 MB arrays per batch swing the RSS by themselves,
// without the package: glibc keeps the freed arrays in its main heap and gives that memory back only
// from the heap's top, so the RSS after forced GCs depends on where the last long-lived allocation
// landed. With this generator and no model at all (the model calls skipped), 3·10⁵ rows read
// 100.1–124.2 MiB after forced GCs (24% spread; RELIABILITY.md, "Soak"): noise larger than what the
// soak measures. The package copies every call's inputs, so reusing the caller's memory changes
// nothing of what the package does.
let state = 0x12345678;
function random() {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
}
const prototypes = Array.from({ length: CLASSES }, () => Float32Array.from({ length: INPUT }, () => (random() < 0.2 ? 0.6 + 0.4 * random() : 0)));
const memory = new Map(); // rows -> { x, y } ArrayBuffers
function batch(rows) {
  if (!memory.has(rows)) memory.set(rows, { x: new ArrayBuffer(4 * rows * INPUT), y: new ArrayBuffer(4 * rows * CLASSES) });
  const x = new Float32Array(memory.get(rows).x);
  const y = new Float32Array(memory.get(rows).y).fill(0);
  const labels = new Array(rows);
  for (let r = 0; r < rows; ++r) {
    const c = Math.floor(random() * CLASSES);
    labels[r] = c;
    y[r * CLASSES + c] = 1;
    const p = prototypes[c];
    for (let i = 0; i < INPUT; ++i) x[r * INPUT + i] = Math.min(1, Math.max(0, p[i] + 0.25 * (random() - 0.5)));
  }
  return { x, y, labels };
}

async function settledRss() {
  for (let i = 0; i < 3; ++i) {
    global.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().rss;
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);

async function main() {
  const started = Date.now();
  console.log(`soak: ${ROWS} rows of ${INPUT}+${CLASSES}, layers [${LAYERS}], BLAS threads ${threads()}, Node ${process.version}`);
  const model = new Autoencoder({ inputSize: INPUT, labelSize: CLASSES, layers: LAYERS, seed: 1 });
  const samples = [];
  console.log(`rows ${0}: RSS ${mib(await settledRss())} MiB (model built)`);
  let correct = 0, probed = 0, learned = 0;

  for (let done = 0; done < ROWS; ) {
    const rows = Math.min(BATCH, ROWS - done);
    const { x, y } = batch(rows);
    // Half the batches synchronously, half through the async queue, with the next calls queued
    // behind them before they settle.
    if ((done / BATCH) % 2 === 0) model.collect(x, y, { alpha: 0.001 });
    else await model.collectAsync(x, y, { alpha: 0.001 });
    done += rows;

    const pending = [];
    if (done % LEARN_EVERY === 0) {
      pending.push(model.learnAsync({ steps: 3 }));
      learned += 1;
    }
    if (done % PROBE_EVERY === 0) {
      const probe = batch(50);
      pending.push(
        model.inferAsync(probe.x, { steps: 5 }).then(({ labels }) => {
          for (let r = 0; r < labels.length; ++r) correct += labels[r] === probe.labels[r] ? 1 : 0;
          probed += labels.length;
        }),
        model.encodeAsync(probe.x, probe.y).then((codes) => model.decodeAsync(codes)),
        model.objectivesAsync(),
      );
    }
    await Promise.all(pending);

    if (done % REPORT_EVERY === 0 || done === ROWS) {
      const rss = await settledRss();
      samples.push({ rows: done, rss });
      const objectives = Array.from(model.objectives(), (f) => f.toExponential(2)).join(' ');
      const accuracy = probed ? ((100 * correct) / probed).toFixed(1) : '-';
      console.log(
        `rows ${done}: RSS ${mib(rss)} MiB, ${((Date.now() - started) / 1000).toFixed(1)} s, ` +
          `${learned} learns, probe accuracy ${accuracy}%, objectives ${objectives}`,
      );
      correct = probed = 0;
    }
  }

  model.dispose();
  const wall = (Date.now() - started) / 1000;
  const steady = samples.filter((s) => s.rows >= Math.min(REPORT_EVERY, ROWS));
  const low = Math.min(...steady.map((s) => s.rss)), high = Math.max(...steady.map((s) => s.rss));
  const spread = (high - low) / low;
  console.log(
    `soak: ${ROWS} rows in ${wall.toFixed(1)} s (${((ROWS / wall) | 0)} rows/s); RSS from ${steady[0].rows} rows on: ` +
      `${mib(low)}–${mib(high)} MiB, spread ${(100 * spread).toFixed(2)}% (limit ${(100 * TOLERANCE).toFixed(0)}%)`,
  );
  if (!(spread <= TOLERANCE)) {
    console.error(`soak FAILED: RSS varied by ${(100 * spread).toFixed(2)}% after the first ${REPORT_EVERY} rows`);
    process.exit(1);
  }
  console.log('soak passed');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

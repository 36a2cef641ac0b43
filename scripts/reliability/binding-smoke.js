'use strict';
// A short walk through every entry point of the native binding, for memory checkers: run under
// valgrind by scripts/reliability/valgrind.sh and with the sanitized addon by sanitize.sh. Small
// sizes (it must finish in well under 2 minutes under valgrind), every method sync and async,
// checkpoints through a temp folder, dispose (idle, with operations pending, twice), garbage-
// collected models, argument errors from the TypeScript layer and from the addon itself, and the
// addon in worker threads (one terminated with operations pending). Needs dist/ (npm run build:ts)
// and --expose-gc for the GC part.
// Exits 0 when every check holds; prints one line per section.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Worker } = require('node:worker_threads');

const root = path.join(__dirname, '..', '..');
const api = require(path.join(root, 'dist'));
const { binding } = require(path.join(root, 'dist', 'binding'));
const { Autoencoder, oneHot } = api;

function data(rows, width, seed) {
  return new Float32Array(rows * width).map((_, i) => Math.sin(i * 0.37 + seed) * 0.8 + Math.cos(i * 0.11 * seed));
}
const labels = (rows, classes) => oneHot(Array.from({ length: rows }, (_, r) => r % classes), classes);

function throwsCode(call, code, what) {
  assert.throws(call, (e) => e.code === code || e.name === code, what);
}
async function rejectsCode(promise, code, what) {
  await assert.rejects(promise, (e) => e.code === code || e.name === code, what);
}
function sameBits(a, b) {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

// Every method of one model, sync then async, checked against each other.
async function exercise(options, rows) {
  const { inputSize, labelSize } = options;
  const sync = new Autoencoder(options), twin = new Autoencoder(options);
  const x = data(rows, inputSize, 1), y = labelSize > 0 ? labels(rows, labelSize) : null;
  const x2 = data(3, inputSize, 2);

  sync.collect(x, y, { alpha: 0.2 });
  sync.collect(x2, null, { alpha: 0.1, batch: 'sum' });
  const learned = sync.learn({ steps: 4 });
  await twin.collectAsync(x, y, { alpha: 0.2 });
  await twin.collectAsync(x2, null, { alpha: 0.1, batch: 'sum' });
  assert.ok(sameBits(await twin.learnAsync({ steps: 4 }), learned), 'learnAsync = learn');

  assert.ok(sameBits(await twin.objectivesAsync(), sync.objectives()), 'objectives');
  for (let l = 0; l < sync.depth; ++l) {
    const g = sync.objectiveGradient(l), ga = await twin.objectiveGradientAsync(l);
    assert.ok(sameBits(g.gradient, ga.gradient), `objectiveGradient(${l})`);
    assert.ok(sameBits(sync.layer(l).W, twin.layer(l).W), `layer(${l})`);
  }
  const codes = sync.encode(x, y);
  assert.ok(sameBits(await twin.encodeAsync(x, y), codes), 'encode');
  assert.ok(sameBits(sync.encode(x2), await twin.encodeAsync(x2, null)), 'encode without labels');
  const decoded = sync.decode(codes);
  assert.ok(sameBits((await twin.decodeAsync(codes)).x, decoded.x), 'decode');
  const cg = sync.completionGradient(x, codes);
  assert.ok(sameBits((await twin.completionGradientAsync(x, codes)).gradient, cg.gradient), 'completionGradient');
  if (labelSize > 0) {
    const inferred = sync.infer(x, { steps: 5 });
    assert.ok(sameBits((await twin.inferAsync(x, { steps: 5 })).scores, inferred.scores), 'infer');
    assert.deepEqual(await twin.classifyAsync(x2, { steps: 2 }), sync.classify(x2, { steps: 2 }));
  }
  // Zero steps: the solvers' early exits.
  sync.learn({ steps: 0 });
  if (labelSize > 0) sync.infer(x2, { steps: 0 });

  // Checkpoints: bytes and files, restored models continue bit for bit.
  const restored = Autoencoder.fromBuffer(sync.toBuffer({ metadata: { smoke: '1' } }));
  assert.ok(sameBits(restored.encode(x, y), codes), 'fromBuffer');
  restored.dispose();
  sync.dispose();
  twin.dispose();
}

async function checkpoints(folder) {
  const model = new Autoencoder({ inputSize: 6, labelSize: 2, layers: [5, 3], seed: 4 });
  model.collect(data(10, 6, 3), labels(10, 2), { alpha: 0.3 });
  model.learn({ steps: 3 });
  const file = path.join(folder, 'model.safetensors');
  const saving = model.save(file, { metadata: { epoch: '1' } }); // snapshotAsync under the hood
  model.collectAsync(data(2, 6, 4)); // queued behind the snapshot: not in the file
  await saving;
  const { model: loaded, info } = await Autoencoder.loadWithInfo(file);
  assert.equal(info.metadata.epoch, '1');
  assert.equal((await Autoencoder.inspect(file)).layers.length, 2);
  const again = await Autoencoder.load(file);
  assert.ok(sameBits(loaded.layer(1).C, again.layer(1).C), 'load = loadWithInfo');

  // Damaged files: truncated, a huge header length, a broken header, garbage.
  const bytes = fs.readFileSync(file);
  const bad = [bytes.subarray(0, bytes.length - 7), Buffer.from(bytes).fill(0xff, 0, 8), Buffer.from(bytes).fill(0x5b, 8, 9), Buffer.from('not a checkpoint')];
  for (const b of bad) throwsCode(() => Autoencoder.fromBuffer(b), 'ERR_INDEE_FORMAT', 'damaged checkpoint');
  fs.writeFileSync(path.join(folder, 'bad.safetensors'), bad[0]);
  await rejectsCode(Autoencoder.load(path.join(folder, 'bad.safetensors')), 'ERR_INDEE_FORMAT', 'damaged file');
  await assert.rejects(Autoencoder.load(path.join(folder, 'missing.safetensors')));
  loaded.dispose();
  again.dispose();
  model.dispose();
}

async function disposal() {
  const options = { inputSize: 5, labelSize: 2, layers: [4], solver: 'subspace' };
  // Dispose with operations running and queued: they complete, later calls fail.
  const model = new Autoencoder(options);
  const x = data(6, 5, 5);
  const pending = [model.collectAsync(x, labels(6, 2)), model.learnAsync({ steps: 3 }), model.encodeAsync(x), model.inferAsync(x, { steps: 2 })];
  throwsCode(() => model.encode(x), 'ERR_INDEE_BUSY', 'sync while async pending');
  model.dispose();
  assert.equal(model.disposed, true);
  await Promise.all(pending);
  model.dispose(); // twice
  throwsCode(() => model.encode(x), 'ERR_INDEE_DISPOSED', 'sync after dispose');
  await rejectsCode(model.learnAsync({ steps: 1 }), 'ERR_INDEE_DISPOSED', 'async after dispose');
  // A state no layer can have, restored past the TypeScript checks: the addon refuses it.
  const other = new Autoencoder(options);
  const state = other.layer(0);
  assert.throws(() => other.layer(7), /index/);
  const native = new (binding().NativeModel)({ inputSize: 5, labelSize: 2, layers: [4], rate: 0.01, statistics: 'ema', solver: 'eig', seed: 1, initScale: 0.1, upperStatistics: 'collected', replaySamples: 1, device: 'cpu' });
  for (const bad of [{ N: -1 }, { adam: { ...state.adam, t: -1 } }, { decaySinceFlush: NaN }, { b: new Float32Array(1) }])
    assert.throws(() => native.restoreLayer(0, { ...state, ...bad }), /must|state/);
  native.restoreLayer(0, state);
  native.dispose();
  other.dispose();
  // Garbage-collected without dispose: the finalizers free the native models.
  for (let i = 0; i < 6; ++i) {
    const m = new Autoencoder({ inputSize: 4, labelSize: 1, layers: [3, 2], seed: i });
    m.collect(data(4, 4, i));
    if (i % 2) m.learnAsync({ steps: 1 }); // let go while pending
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  if (global.gc) global.gc();
}

// Errors raised by the TypeScript layer and, past it, by the addon's own argument checks.
function errors() {
  const model = new Autoencoder({ inputSize: 4, labelSize: 2, layers: [3] });
  const x = data(2, 4, 6);
  const ts = [
    () => new Autoencoder({ inputSize: 0, labelSize: 0, layers: [1] }),
    () => new Autoencoder({ inputSize: 23_171, labelSize: 0, layers: [1] }),
    () => new Autoencoder({ inputSize: 1_000_000, labelSize: 0, layers: [10] }),
    () => model.collect(new Float32Array(6)),
    () => model.collect(new Float32Array([0, 0, NaN, 0])),
    () => model.collect(x, new Float32Array(3)),
    () => model.infer(new Float32Array([0, Infinity, 0, 0])),
    () => model.decode(new Float32Array(4)),
    () => model.completionGradient(x, new Float32Array(3)),
    () => model.layer(1),
    () => model.learn({ steps: -1 }),
    () => Autoencoder.fromBuffer('x'),
  ];
  for (const call of ts) assert.throws(call, /must|memory|mirrored/);

  const { NativeModel, NativeMlp, setThreads, threads, timeBlas, blasInfo } = binding();
  const config = { inputSize: 4, labelSize: 2, layers: [3], rate: 0.01, statistics: 'ema', solver: 'adam', seed: 1, initScale: 0.1, upperStatistics: 'collected', replaySamples: 1, device: 'cpu' };
  const nativeBad = [
    () => new NativeModel(),
    () => new NativeModel({ ...config, layers: 'x' }),
    () => new NativeModel({ ...config, layers: [3, -1] }),
    () => new NativeModel({ ...config, statistics: 'nope' }),
    () => new NativeModel({ ...config, solver: 7 }),
    () => new NativeModel({ ...config, upperStatistics: 'sampled' }),
    () => new NativeModel({ ...config, replaySamples: 0 }),
    () => new NativeModel({ ...config, rate: NaN }),
    () => new NativeModel({ ...config, seed: 2 ** 60 }),
    () => new NativeModel({ ...config, inputSize: 50_000 }),
  ];
  for (const call of nativeBad) assert.throws(call, /must|memory|mirrored|size/);
  const native = new NativeModel(config);
  const calls = [
    () => native.collect(new Float64Array(4), null, 0.1, 'sequential'),
    () => native.collect(new Float32Array(5), null, 0.1, 'sequential'),
    () => native.collect(new Float32Array(0), null, 0.1, 'sequential'),
    () => native.collect(new Float32Array(4), new Float32Array(1), 0.1, 'sequential'),
    () => native.collect(new Float32Array(4), null, Infinity, 'sequential'),
    () => native.collect(new Float32Array(4), null, 0.1, 'average'),
    () => native.collect(new Float32Array(4), null, 0.1, 3),
    () => native.learn(-1),
    () => native.learn(0.5),
    () => native.learn('1'),
    () => native.encode(new Float32Array([1, 2, NaN, 4]), null),
    () => native.decode(new Float32Array(2)),
    () => native.infer(new Float32Array(4), 1e9),
    () => native.objectiveGradient(1),
    () => native.completionGradient(new Float32Array(4), new Float32Array(6)),
    () => native.layerState(-1),
    () => native.restoreLayer(0, null),
    () => native.restoreLayer(0, {}),
    () => native.restoreLayer(0, { adam: {}, W: new Float32Array(1) }),
    () => setThreads(0),
    () => timeBlas([], 1),
    () => timeBlas([{ op: 'gemm', m: 2 }], 1),
    () => timeBlas([{ op: 'gemm', m: 2, n: 2, k: 2, extra: 1 }], 1),
    () => timeBlas([{ op: 'syr', n: 1 << 16 }], 1),
  ];
  for (const call of calls) assert.throws(call, /must|at most|not a field/);
  native.dispose();

  // The BLAS helpers of scripts/bench: every product kind once.
  const timed = timeBlas(
    [
      { op: 'gemm', m: 5, n: 4, k: 3, transA: true, beta: 0.5 },
      { op: 'gemm', m: 3, n: 2, k: 4, transB: true },
      { op: 'symm', m: 4, n: 3, beta: 1 },
      { op: 'syrk', n: 4, k: 5 },
      { op: 'syr', n: 6 },
      { op: 'gemv', m: 3, n: 5, trans: true },
      { op: 'gemv', m: 5, n: 3 },
    ],
    2,
  );
  assert.equal(timed.products.length, 7);
  assert.equal(typeof blasInfo().config, 'string');
  const before = threads();
  setThreads(2);
  setThreads(before);

  // The MLP baseline network.
  const net = new NativeMlp({ sizes: [6, 5, 3], seed: 2, rate: 0.01 });
  const mx = data(4, 6, 7), my = Int32Array.from([0, 1, 2, 1]);
  const step = net.trainBatch(mx, my);
  assert.equal(step.predicted.length, 4);
  assert.equal(net.logits(mx).length, 12);
  net.consolidate(mx, my, 10);
  const mlpBad = [
    () => new NativeMlp({ sizes: [6], seed: 1, rate: 0.01 }),
    () => new NativeMlp({ sizes: [6, 0], seed: 1, rate: 0.01 }),
    () => new NativeMlp({ sizes: [6, 3], seed: 1, rate: 0 }),
    () => net.trainBatch(mx, Int32Array.from([0, 1, 3, 1])),
    () => net.trainBatch(mx, Int32Array.from([0, 1])),
    () => net.trainBatch(mx, new Float32Array(4)),
    () => net.logits(new Float32Array(5)),
    () => net.consolidate(mx, my, -1),
  ];
  for (const call of mlpBad) assert.throws(call, /must|at least|rate|size/);
  net.dispose();
  model.dispose();
}

async function mlpAsync() {
  const net = new (binding().NativeMlp)({ sizes: [5, 4, 2], seed: 3, rate: 0.01 });
  const x = data(6, 5, 8), y = Int32Array.from([0, 1, 0, 1, 1, 0]);
  const work = [net.trainBatchAsync(x, y), net.trainBatchAsync(x, y), net.consolidateAsync(x, y, 1), net.logitsAsync(x)];
  throwsCode(() => net.logits(x), 'ERR_INDEE_BUSY', 'mlp sync while pending');
  net.dispose();
  const results = await Promise.all(work);
  assert.equal(results[3].length, 12);
  await rejectsCode(net.logitsAsync(x), 'ERR_INDEE_DISPOSED', 'mlp after dispose');
  await assert.rejects(new (binding().NativeMlp)({ sizes: [5, 2], seed: 1, rate: 0.1 }).trainBatchAsync(x, new Int32Array(6).fill(5)));
}

function inWorker() {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Autoencoder } = require(workerData.dist);
    const m = new Autoencoder({ inputSize: 6, labelSize: 2, layers: [4, 2], seed: 9 });
    const x = new Float32Array(24).map((_, i) => Math.sin(i));
    m.collectAsync(x).then(() => m.learnAsync({ steps: 2 })).then((f) => {
      // The second model is left for the worker's teardown to free (never disposed).
      new Autoencoder({ inputSize: 3, labelSize: 0, layers: [2] }).collect(new Float32Array(3));
      parentPort.postMessage(Array.from(f));
    });`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(source, { eval: true, workerData: { dist: path.join(root, 'dist') } });
    worker.once('message', (f) => {
      assert.equal(f.length, 2);
      resolve();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
  });
}

// A worker terminated while its models have async operations running and queued: Node completes
// them during the teardown, when their promises can no longer be settled; then the finalizers free
// the models. Only the worker may end (this aborted the whole process before the fix in
// native/binding/async_queue.cpp). Returns how many operations were pending: Node-API leaks the
// 8-byte handle of each such unsettled promise (napi_create_promise), which valgrind.sh allows
// exactly that many times.
async function terminatedWorker() {
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { Autoencoder } = require(workerData.dist);
    const m = new Autoencoder({ inputSize: 20, labelSize: 2, layers: [10, 4], seed: 3 });
    m.collect(new Float32Array(20 * 8).map((_, i) => Math.cos(i)));
    for (let i = 0; i < 3; ++i) m.learnAsync({ steps: 30 });
    m.inferAsync(new Float32Array(40), { steps: 5 });
    const d = new Autoencoder({ inputSize: 3, labelSize: 0, layers: [2] });
    d.collectAsync(new Float32Array(3));
    d.dispose();
    parentPort.postMessage(m.pending + d.pending);`;
  const worker = new Worker(source, { eval: true, workerData: { dist: path.join(root, 'dist') } });
  const pending = await new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  assert.ok(pending > 0, 'operations pending at termination');
  assert.equal(await worker.terminate(), 1);
  return pending;
}

async function main() {
  const started = Date.now();
  const step = (name) => console.log(`binding-smoke: ${name} ok (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  await exercise({ inputSize: 6, labelSize: 3, layers: [5, 4], statistics: 'ema', solver: 'adam', seed: 1, initScale: 0.3, upperStatistics: 'moments' }, 8);
  await exercise({ inputSize: 8, labelSize: 0, layers: [3], statistics: 'cumulative', solver: 'subspace', seed: 2 }, 5);
  await exercise({ inputSize: 4, labelSize: 2, layers: [7, 3, 2], statistics: 'cumulative', solver: 'eig', seed: 3, upperStatistics: 'replay', replaySamples: 20 }, 6);
  await exercise({ inputSize: 1, labelSize: 1, layers: [1], statistics: 'ema', solver: 'adam', seed: 4 }, 1);
  step('models of four shapes, sync and async');
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-binding-smoke-'));
  try {
    await checkpoints(folder);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  step('checkpoints');
  await disposal();
  step('dispose and garbage collection');
  errors();
  step('argument errors, BLAS helpers, MLP');
  await mlpAsync();
  step('MLP async');
  await inWorker();
  step('worker thread');
  const pending = await terminatedWorker();
  step(`worker terminated with ${pending} operations pending`);
  finished = true;
}

// A promise of ours that never settles would end the script early with exit status 0: refuse that.
let finished = false;
process.on('exit', (code) => {
  if (code === 0 && !finished) {
    console.error('binding-smoke: the script ended before its last step (a promise that never settled?)');
    process.exitCode = 1;
  }
});

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

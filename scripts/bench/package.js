'use strict';
// Child process of bench.js: times this package's synchronous API and the BLAS limit of each
// operation, and writes the states the peer needs to compute on identical inputs (state.bin).
// Usage (from bench.js): node package.js '<json options>'; sends its results with process.send.
const path = require('node:path');

const { Autoencoder } = require('../../dist');
const { binding } = require('../../dist/binding');
const c = require('./common');

const options = JSON.parse(process.argv[2]);
const native = binding();
const log = (line) => process.stderr.write(`  [package] ${line}\n`);

const data = c.readTensors(path.join(options.dir, 'data.bin'));
const rows = (start, count) => ({
  x: data.x.subarray(start * c.INPUT, (start + count) * c.INPUT),
  y: data.y.subarray(start * c.LABELS, (start + count) * c.LABELS),
});
const batch = rows(0, c.BATCH);
const stackOptions = { inputSize: c.INPUT, labelSize: c.LABELS, layers: c.LAYERS, seed: 1 };

// ---- the check model: identical W and C for the peer ---------------------------------------------
// Weights ±0.05 rather than the default ±0.0005, so that every term of the objective matters.
const state = {};
const check = new Autoencoder({ ...stackOptions, initScale: 0.05 });
check.collect(batch.x, batch.y, { alpha: c.ALPHA });
const objectives = check.objectives();
c.SHAPES.forEach((_, l) => {
  const layer = check.layer(l);
  Object.assign(state, { [`check.${l}.W`]: layer.W, [`check.${l}.C`]: layer.C, [`check.${l}.B`]: layer.B, [`check.${l}.b`]: layer.b });
  state[`check.${l}.gradient`] = check.objectiveGradient(l).gradient;
});
state['check.objectives'] = objectives;
// One Adam step from there (TF1's form), for the peer to repeat.
check.learn({ steps: 1 });
c.SHAPES.forEach((_, l) => (state[`check.${l}.W1`] = check.layer(l).W));
const probe = rows(0, 8).x; // completion loss and gradient at the codes of 8 rows (after the step)
const probeCodes = check.encode(probe);
const completion = check.completionGradient(probe, probeCodes);
Object.assign(state, { 'probe.codes': probeCodes, 'probe.loss': completion.loss, 'probe.gradient': completion.gradient });

// ---- single-layer models of each layer's shape, for the learn step of one layer -----------------
// Chained: layer l collects the codes of layer l-1's model on the same 256 rows.
const joint = new Float32Array(c.BATCH * (c.INPUT + c.LABELS));
for (let r = 0; r < c.BATCH; ++r) {
  joint.set(batch.x.subarray(r * c.INPUT, (r + 1) * c.INPUT), r * (c.INPUT + c.LABELS));
  joint.set(batch.y.subarray(r * c.LABELS, (r + 1) * c.LABELS), r * (c.INPUT + c.LABELS) + c.INPUT);
}
const single = [];
let input = joint;
c.SHAPES.forEach(({ n, k }, l) => {
  const model = new Autoencoder({ inputSize: n, labelSize: 0, layers: [k], seed: 1, initScale: 0.05 });
  model.collect(input, null, { alpha: c.ALPHA });
  const layer = model.layer(0);
  Object.assign(state, { [`single.${l}.W`]: layer.W, [`single.${l}.C`]: layer.C });
  input = model.encode(input);
  single.push(model);
});

// ---- the online protocol's model, before its bootstrap --------------------------------------------
const online = new Autoencoder(stackOptions);
c.SHAPES.forEach((_, l) => (state[`online.${l}.W`] = online.layer(l).W));
c.writeTensors(path.join(options.dir, 'state.bin'), state);

// ---- timings ------------------------------------------------------------------------------------
const wanted = new Set(options.ops);
const results = {};
const budget = options.budget;

function blasLimit(id) {
  const plan = c.blasPlan(id);
  let seconds = 0;
  let repeats = Infinity;
  const parts = [];
  for (const { products, times } of plan) {
    const estimate = c.median(native.timeBlas(products, 1).seconds);
    const count = Math.max(3, Math.min(2000, Math.ceil(budget / Math.max(estimate, 1e-6) / plan.length)));
    const timed = native.timeBlas(products, count);
    const pass = c.median(timed.seconds);
    seconds += times * pass;
    repeats = Math.min(repeats, count);
    parts.push({ times, passSeconds: pass, products: timed.products.map((p, i) => ({ ...products[i], seconds: p.seconds, flops: p.flops })) });
  }
  return { seconds, repeats, parts };
}

function record(id, pkg, extra = {}) {
  const blas = c.OPS.find((op) => op.id === id).blas === false ? null : blasLimit(id);
  results[id] = { package: pkg, blas, ...extra };
  log(`${id}: ${(pkg.seconds * 1e3).toFixed(2)} ms (${pkg.repeats} repeats)` +
    (blas ? `, BLAS limit ${(blas.seconds * 1e3).toFixed(2)} ms (${blas.repeats} repeats)` : ', no BLAS limit'));
}

/** Per layer, how many of C's d mirrored coordinates are active (C_ii > 0): the objective and the solvers work on that block. */
function activeCoordinates(model) {
  return Array.from({ length: model.depth }, (_, l) => {
    const { C } = model.layer(l);
    const d = Math.round(Math.sqrt(C.length));
    let active = 0;
    for (let i = 0; i < d; ++i) if (C[i * d + i] > 0) ++active;
    return { active, d };
  });
}
/** Where the active coordinates were counted: [{ where, layers: [{ active, d }] }], in table order. */
const active = [];

const stack = new Autoencoder(stackOptions);
stack.collect(batch.x, batch.y, { alpha: c.ALPHA });

for (const m of [1, c.BATCH]) {
  const id = `collect-${m}`;
  if (!wanted.has(id)) continue;
  const { x, y } = rows(0, m);
  record(id, c.measure(() => stack.collect(x, y, { alpha: c.ALPHA }), { budget }));
}
if (wanted.has('learn-stack')) active.push({ where: `the learn step's models after their ${c.BATCH} rows`, layers: activeCoordinates(stack) });
else if (c.SHAPES.some((_, l) => wanted.has(`learn-${l}`))) active.push({ where: `the learn step's models after their ${c.BATCH} rows`, layers: activeCoordinates(single[0]) });
c.SHAPES.forEach((_, l) => {
  if (wanted.has(`learn-${l}`)) record(`learn-${l}`, c.measure(() => single[l].learn({ steps: 1 }), { budget, min: 3 }));
});
if (wanted.has('learn-stack')) record('learn-stack', c.measure(() => stack.learn({ steps: 1 }), { budget, min: 3 }));
for (const m of [1, c.BATCH]) {
  const id = `infer-${m}`;
  if (!wanted.has(id)) continue;
  const { x } = rows(0, m);
  const run = () => stack.infer(x, { steps: c.STEPS });
  const warmup = () => stack.infer(x, { steps: 2 });
  record(id, c.measure(run, { budget, warmup }));
}

// The original's online protocol: bootstrap (the first row collected once with α = 0.5, untimed),
// then per row: infer 100 steps, collect with α 0.01, learn 100 steps.
if (wanted.has('online')) {
  const boot = rows(0, 1);
  online.collect(boot.x, boot.y, { alpha: 0.5 });
  const predictions = [];
  const perRow = [];
  for (let r = 0; r < options.rows; ++r) {
    const { x, y } = rows(r, 1);
    const start = c.now();
    predictions.push(online.infer(x, { steps: c.STEPS }).labels[0]);
    online.collect(x, y, { alpha: c.ALPHA });
    online.learn({ steps: c.STEPS });
    perRow.push(c.now() - start);
    log(`online row ${r + 1}/${options.rows}: ${perRow[r].toFixed(2)} s`);
  }
  record('online', { ...c.summary(perRow), total: perRow.reduce((a, b) => a + b, 0) }, { predictions, objectives: [...online.objectives()] });
  active.push({ where: `the online protocol's model after the bootstrap and its ${options.rows} row(s)`, layers: activeCoordinates(online) });
}

// ---- the fast solvers ---------------------------------------------------------------------------
// A stack with cumulative statistics that has collected FAST_ROWS rows from --skip on; learn() is
// one solve per layer (eig: ssyevr on C's active block, whatever steps; subspace: `steps`
// orthogonal iterations), then the rotation onto the previous W. Repeats start from the previous
// call's W: a solve costs the same from there.
for (const solver of ['eig', 'subspace']) {
  const id = `learn-${solver}`;
  if (!wanted.has(id)) continue;
  const model = new Autoencoder({ ...stackOptions, solver, statistics: c.FAST_STATISTICS });
  const { x, y } = rows(0, c.FAST_ROWS);
  model.collect(x, y);
  if (solver === 'eig' || !wanted.has('learn-eig'))
    active.push({ where: `the fast solvers' stack after its ${c.FAST_ROWS.toLocaleString('en')} rows`, layers: activeCoordinates(model) });
  const objectives = [];
  const run = () => objectives.push([...model.learn({ steps: 1 })]);
  record(id, c.measure(run, { budget, min: 3, max: solver === 'eig' ? 5 : 10 }), { objectives: objectives[objectives.length - 1] });
  model.dispose();
}

// The fast online schedule (`indeependence train --block 50 --learn-every 50 --solver eig
// --statistics cumulative`, rows in order): bootstrap as the faithful protocol (row --skip
// collected once with α 0.5, untimed), then per block of FAST_BLOCK rows: infer them together
// (100 steps), collect them, learn (one eig solve per layer).
if (wanted.has('online-fast')) {
  const model = new Autoencoder({ ...stackOptions, solver: 'eig', statistics: c.FAST_STATISTICS });
  const boot = rows(0, 1);
  model.collect(boot.x, boot.y, { alpha: 0.5 });
  const predictions = [];
  const wrong = [];
  const perBlock = [];
  for (let b = 0; b < options.fastBlocks; ++b) {
    const start = b * c.FAST_BLOCK;
    const { x, y } = rows(start, c.FAST_BLOCK);
    const t = c.now();
    const { labels } = model.infer(x, { steps: c.STEPS });
    model.collect(x, y, { alpha: c.ALPHA });
    model.learn({ steps: c.STEPS });
    perBlock.push(c.now() - t);
    predictions.push(...labels);
    wrong.push(Array.from(labels).filter((label, r) => label !== data.labels[start + r]).length);
    log(`online-fast block ${b + 1}/${options.fastBlocks}: ${perBlock[b].toFixed(2)} s, ${wrong[b]} wrong of ${c.FAST_BLOCK}`);
  }
  const count = options.fastBlocks * c.FAST_BLOCK;
  const total = perBlock.reduce((a, b) => a + b, 0);
  // The figure: the whole run's time per row (blocks differ: C's active block grows).
  const pkg = {
    seconds: total / count,
    mean: total / count,
    min: Math.min(...perBlock) / c.FAST_BLOCK,
    repeats: options.fastBlocks,
    total,
    blockSeconds: perBlock,
  };
  record('online-fast', pkg, { rows: count, block: c.FAST_BLOCK, predictions, wrong: wrong.reduce((a, b) => a + b, 0), wrongPerBlock: wrong, objectives: [...model.objectives()] });
  active.push({ where: `the fast online schedule's model after the bootstrap and its ${count} rows`, layers: activeCoordinates(model) });
  model.dispose();
}

process.send({
  active,
  results,
  check: { objectives: [...objectives] },
  blasInfo: native.blasInfo(),
  threads: typeof native.threads === 'function' ? native.threads() : native.blasInfo().threads,
  peakRssMiB: c.peakRssMiB(),
});

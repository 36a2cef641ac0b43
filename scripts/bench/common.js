'use strict';
// What the benchmark's processes share: the shapes, the operations and how their flops are counted,
// the BLAS products that bound each of them, the timer, and a small file format for tensors.
const fs = require('node:fs');

/** The original program's shapes: 784 pixels + 10 labels, layers [400, 250, 150]. */
const INPUT = 784;
const LABELS = 10;
const LAYERS = [400, 250, 150];
/** Per layer: input size n, mirrored size d = 2n, code size k. */
const SHAPES = LAYERS.map((k, l) => {
  const n = l === 0 ? INPUT + LABELS : LAYERS[l - 1];
  return { n, d: 2 * n, k };
});
const ALPHA = 0.01; // collect's significance, the original's --coeff
const RATE = 0.01; // Adam's rate, the original's --rate
const STEPS = 100; // infer and learn steps per row, the original's
const BATCH = 256; // the larger batch of collect and infer

/**
 * The operations, in table order. `flops` is the nominal count of ALGORITHM.md, the same for every
 * column (so GFLOP/s ratios are time ratios):
 * - collect, m rows: per layer m·d(d+1) (the lower triangle of the rank-m update of C) + 2·m·d·k
 *   (the codes passed up); mirroring and the mean update, O(m·d), are not counted.
 * - learn step, one layer: 2·d²·k (C·W) + 8·d·k² (WᵀW, Wᵀ(CW), (CW)(WᵀW), W(WᵀCW)); Adam, O(d·k), not counted.
 * - infer, m rows, s steps: s · Σ 4·m·d·k (decoding h·Wᵀ and its backward du·W per layer); the
 *   starting encode, inverse mirroring, the loss and Adam, O(m·d), are not counted.
 * - online, per row: infer (1 row, 100 steps) + collect (1 row) + 100 learn steps of the stack.
 * - the fast solvers (eig, subspace, the fast online schedule): no nominal count (see OPS).
 */
const collectFlops = (m) => SHAPES.reduce((s, { d, k }) => s + m * d * (d + 1) + 2 * m * d * k, 0);
const learnFlops = (l) => 2 * SHAPES[l].d ** 2 * SHAPES[l].k + 8 * SHAPES[l].d * SHAPES[l].k ** 2;
const stackLearnFlops = () => SHAPES.reduce((s, _, l) => s + learnFlops(l), 0);
const inferFlops = (m, steps) => steps * SHAPES.reduce((s, { d, k }) => s + 4 * m * d * k, 0);
const onlineFlops = () => inferFlops(1, STEPS) + collectFlops(1) + STEPS * stackLearnFlops();

/** Rows collected by the fast solvers' stacks (learn-eig, learn-subspace), from --skip on. */
const FAST_ROWS = 1000;
/** The fast online schedule: rows per block (inferred together, collected, then one learn). */
const FAST_BLOCK = 50;
/** The fast solvers' stacks: cumulative statistics, as `indeependence train --solver eig` would use them. */
const FAST_STATISTICS = 'cumulative';

/**
 * The operations, in table order (`flops` as above). `flops` undefined: no nominal count (the fast solvers, whose cost
 * is LAPACK's, not a fixed set of products). `blas: false`: no BLAS limit; `peer: false`: the peer
 * does not run it (TensorFlow.js has no symmetric eigensolver).
 */
const OPS = [
  { id: 'collect-1', group: 'collect', label: 'collect, 1 row', flops: collectFlops(1) },
  { id: 'collect-256', group: 'collect', label: `collect, ${BATCH} rows`, flops: collectFlops(BATCH) },
  ...SHAPES.map(({ n, k }, l) => ({ id: `learn-${l}`, group: 'learn', label: `learn step, layer ${l} (${n}→${k})`, flops: learnFlops(l) })),
  { id: 'learn-stack', group: 'learn', label: 'learn step, stack', flops: stackLearnFlops() },
  { id: 'infer-1', group: 'infer', label: `infer, 1 row, ${STEPS} steps`, flops: inferFlops(1, STEPS) },
  { id: 'infer-256', group: 'infer', label: `infer, ${BATCH} rows, ${STEPS} steps`, flops: inferFlops(BATCH, STEPS) },
  { id: 'online', group: 'online', label: 'online protocol, per row', flops: onlineFlops() },
  { id: 'learn-eig', group: 'fast', label: 'learn, eig solve, stack', blas: false, peer: false },
  { id: 'learn-subspace', group: 'fast', label: 'learn, subspace (1 iteration), stack', blas: false, peer: false },
  { id: 'online-fast', group: 'fast', label: 'online protocol, fast schedule, per row', blas: false, peer: false },
];
/** Flops of the fast online schedule's infer (100 steps) and collect, per row; its eig solves are not counted. */
const fastOnlineCountedFlops = () => inferFlops(1, STEPS) + collectFlops(1);

/**
 * The BLAS products that dominate each operation, as lists for the addon's timeBlas, and how many
 * times a list is run per operation: those of native/bench/bench.cpp for batches and learn steps,
 * and for one row (collect, infer, and those parts of the online protocol) the matrix-vector
 * kernels the package runs for m = 1 (vectorProducts).
 */
function collectProducts(m) {
  return SHAPES.flatMap(({ d, k }) => [
    { op: 'syrk', n: d, k: m, beta: 1 - ALPHA }, // C ← Σ w_j z_j z_jᵀ + (1-α)^m C
    { op: 'gemm', m, n: k, k: d }, // codes h = z W
  ]);
}
function learnProducts(l) {
  const { d, k } = SHAPES[l];
  return [
    { op: 'symm', m: d, n: k }, // P = C W
    { op: 'syrk', n: k, k: d }, // S = WᵀW
    { op: 'gemm', m: k, n: k, k: d, transA: true }, // T = Wᵀ P
    { op: 'gemm', m: d, n: k, k: k }, // G = 2 P S (after G = -4P)
    { op: 'gemm', m: d, n: k, k: k, beta: 1 }, // G += 2 W T
  ];
}
function inferStepProducts(m) {
  return SHAPES.flatMap(({ d, k }) => [
    { op: 'gemm', m, n: d, k, transB: true }, // decode u = h Wᵀ
    { op: 'gemm', m, n: k, k: d }, // backward dh = du W
  ]);
}
/**
 * One row's products as the package runs them: matrix-vector kernels. collect, per layer the
 * rank-1 update of C's lower triangle (ssyr) and the code h = z W (sgemv, Wᵀz); infer, per step and
 * layer the decode u = h Wᵀ (sgemv, W h) and its backward dh = du W (sgemv, Wᵀdu).
 */
function vectorProducts(kind) {
  if (kind === 'collect') return SHAPES.flatMap(({ d, k }) => [{ op: 'syr', n: d }, { op: 'gemv', m: d, n: k, trans: true }]);
  return SHAPES.flatMap(({ d, k }) => [{ op: 'gemv', m: d, n: k }, { op: 'gemv', m: d, n: k, trans: true }]);
}
/** op id → [{ products, times }]: the op's BLAS limit is Σ times × (time of one pass over products). */
function blasPlan(id) {
  if (id === 'collect-1') return [{ products: vectorProducts('collect'), times: 1 }];
  if (id === 'collect-256') return [{ products: collectProducts(BATCH), times: 1 }];
  if (id === 'learn-stack') return [{ products: SHAPES.flatMap((_, l) => learnProducts(l)), times: 1 }];
  if (/^learn-\d+$/.test(id)) return [{ products: learnProducts(Number(id.slice(6))), times: 1 }];
  if (id === 'infer-1') return [{ products: vectorProducts('infer'), times: STEPS }];
  if (id === 'infer-256') return [{ products: inferStepProducts(BATCH), times: STEPS }];
  if (id === 'online')
    return [
      { products: vectorProducts('infer'), times: STEPS },
      { products: vectorProducts('collect'), times: 1 },
      { products: SHAPES.flatMap((_, l) => learnProducts(l)), times: STEPS },
    ];
  throw new Error(`no BLAS plan for ${id}`);
}

// ---- timing ------------------------------------------------------------------------------------

const now = () => Number(process.hrtime.bigint()) / 1e9;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/**
 * Times `run` (synchronous; it must force its own completion): one warm-up call (`warmup`, by
 * default `run` itself), then calls until `budget` seconds are spent and at least `min` calls were
 * made, or `max` calls. Returns seconds per call: the median (the figure reported), mean, min and
 * the number of timed calls.
 */
function measure(run, { budget = 1.5, min = 2, max = 500, warmup = run } = {}) {
  warmup();
  const samples = [];
  const start = now();
  while (samples.length < max && (samples.length < min || now() - start < budget)) {
    const t = now();
    run();
    samples.push(now() - t);
  }
  return summary(samples);
}

function summary(samples) {
  return {
    seconds: median(samples),
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
    min: Math.min(...samples),
    repeats: samples.length,
  };
}

// ---- tensors in a file -------------------------------------------------------------------------
// [u32 header length][JSON header {name: {type, offset, length}}][padding to 8][data]

const TYPES = { f32: Float32Array, f64: Float64Array, i32: Int32Array };
const typeOf = (a) => Object.keys(TYPES).find((t) => a instanceof TYPES[t]);

function writeTensors(file, tensors) {
  const header = {};
  let offset = 0;
  for (const [name, array] of Object.entries(tensors)) {
    const type = typeOf(array);
    if (!type) throw new TypeError(`${name} must be a Float32Array, Float64Array or Int32Array`);
    header[name] = { type, offset, length: array.length };
    offset += Math.ceil(array.byteLength / 8) * 8;
  }
  const json = Buffer.from(JSON.stringify(header));
  const start = Math.ceil((4 + json.length) / 8) * 8;
  const out = Buffer.alloc(start + offset);
  out.writeUInt32LE(json.length, 0);
  json.copy(out, 4);
  for (const [name, array] of Object.entries(tensors))
    Buffer.from(array.buffer, array.byteOffset, array.byteLength).copy(out, start + header[name].offset);
  fs.writeFileSync(file, out);
}

function readTensors(file) {
  const bytes = fs.readFileSync(file);
  const length = bytes.readUInt32LE(0);
  const header = JSON.parse(bytes.subarray(4, 4 + length).toString());
  const start = Math.ceil((4 + length) / 8) * 8;
  const tensors = {};
  for (const [name, { type, offset, length: count }] of Object.entries(header)) {
    const Type = TYPES[type];
    const copy = new Uint8Array(count * Type.BYTES_PER_ELEMENT);
    copy.set(bytes.subarray(start + offset, start + offset + copy.length));
    tensors[name] = new Type(copy.buffer);
  }
  return tensors;
}

/** Peak resident memory of this process so far, in MiB. */
const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

module.exports = {
  INPUT,
  LABELS,
  LAYERS,
  SHAPES,
  ALPHA,
  RATE,
  STEPS,
  BATCH,
  FAST_ROWS,
  FAST_BLOCK,
  FAST_STATISTICS,
  OPS,
  fastOnlineCountedFlops,
  blasPlan,
  vectorProducts,
  measure,
  summary,
  median,
  now,
  writeTensors,
  readTensors,
  peakRssMiB,
};

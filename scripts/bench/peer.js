'use strict';
// Child process of bench.js: the peer a Node user would pick, TensorFlow.js on its WebAssembly
// backend, computing the math of ALGORITHM.md for the same shapes and the same inputs. Written as
// the tfjs docs make it fast: plain matMul without transpose flags (the wasm fast path; transposes
// made once, outside loops, where possible), tf.tidy around every step, old state disposed,
// completion forced with dataSync() before a clock is read.
// Usage (from bench.js): node peer.js '<json options>'; sends its results with process.send.
const path = require('node:path');
Error.stackTraceLimit = 40;

const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const c = require('./common');

const options = JSON.parse(process.argv[2]);
const log = (line) => process.stderr.write(`  [peer] ${line}\n`);
const B1 = 0.9, B2 = 0.999, EPS = 1e-8; // TF1 Adam defaults, as the original

// ---- the model's math -----------------------------------------------------------------------------

/** [m, n] → [m, 2n]: pairs (max(v, 0), max(-v, 0)) side by side. */
const mirror = (v) => tf.reshape(tf.stack([tf.relu(v), tf.relu(tf.neg(v))], 2), [v.shape[0], 2 * v.shape[1]]);

/** A layer's state as tensors; b is always B (b ← B after each collect), so B serves as both. */
function makeLayer({ n, d, k }, W, C = null, B = null) {
  return {
    n, d, k,
    W: tf.tensor2d(W, [d, k]),
    C: C ? tf.tensor2d(C, [d, d]) : tf.zeros([d, d]),
    B: B ? tf.tensor1d(B) : tf.zeros([d]),
    m: tf.zeros([d, k]),
    v: tf.zeros([d, k]),
    t: 0,
  };
}
function replace(layer, values) {
  for (const [key, value] of Object.entries(values)) {
    layer[key].dispose();
    layer[key] = value;
  }
}

// Per batch size m and significance α of collect: the constant weights of the exact row-by-row moving average.
const collectConstants = new Map();
function constantsFor(m, alpha) {
  const key = `${m}:${alpha}`;
  if (!collectConstants.has(key)) {
    const keep = 1 - alpha;
    const significant = (w) => (w < 2 ** -100 ? 0 : w);
    const centre = new Float32Array(m * m); // centre_j = keep^j B + Σ_{i<j} α keep^(j-1-i) e_i
    const power = new Float32Array(m);
    const scale = new Float32Array(m); // √(α keep^(m-1-j)): row j's weight in the rank-m update
    const mean = new Float32Array(m); // α keep^(m-1-j): row j's weight in the new mean
    for (let j = 0; j < m; ++j) {
      for (let i = 0; i < j; ++i) centre[j * m + i] = alpha * keep ** (j - 1 - i);
      power[j] = keep ** j;
      scale[j] = Math.sqrt(significant(alpha * keep ** (m - 1 - j)));
      mean[j] = alpha * keep ** (m - 1 - j);
    }
    collectConstants.set(key, {
      centre: m > 1 ? tf.keep(tf.tensor2d(centre, [m, m])) : null,
      power: tf.keep(tf.tensor2d(power, [m, 1])),
      scale: tf.keep(tf.tensor2d(scale, [m, 1])),
      mean: tf.keep(tf.tensor2d(mean, [1, m])),
      decay: significant(keep ** m),
      meanDecay: keep ** m,
    });
  }
  return collectConstants.get(key);
}

/**
 * collect, moving average, exactly as m rows one at a time: z_j = e_j - B_j (B_j the mean before
 * row j), C ← keep^m C + Σ α keep^(m-1-j) z_j z_jᵀ (one product of the scaled rows), B ← the mean
 * after the m rows; returns the codes z W passed up (a tensor the caller disposes).
 */
function collectLayer(layer, v, alpha) {
  const m = v.shape[0];
  const k = constantsFor(m, alpha);
  const [C, B, h] = tf.tidy(() => {
    const e = mirror(v);
    const centres = tf.mul(k.power, tf.reshape(layer.B, [1, layer.d]));
    const z = tf.sub(e, k.centre ? tf.add(tf.matMul(k.centre, e), centres) : centres);
    const scaled = tf.mul(z, k.scale);
    const C = tf.add(tf.mul(layer.C, k.decay), tf.matMul(tf.transpose(scaled), scaled));
    const B = tf.add(tf.mul(layer.B, k.meanDecay), tf.reshape(tf.matMul(k.mean, e), [layer.d]));
    return [C, B, tf.matMul(z, layer.W)];
  });
  replace(layer, { C, B });
  return h;
}

function collectStack(layers, x, alpha) {
  let v = x;
  for (const layer of layers) {
    const h = collectLayer(layer, v, alpha);
    if (v !== x) v.dispose();
    v = h;
  }
  v.dispose();
}

/** f(W) = tr C - 2 tr(WᵀCW) + tr((WᵀCW)(WᵀW)) and ∇f = -4CW + 2CW(WᵀW) + 2W(WᵀCW), written as P(2S - 4I) + W(2T). */
function objective(C, W, withValue) {
  return tf.tidy(() => {
    const k = W.shape[1];
    const Wt = tf.transpose(W);
    const P = tf.matMul(C, W);
    const S = tf.matMul(Wt, W);
    const T = tf.matMul(Wt, P);
    const eye = tf.eye(k);
    const gradient = tf.add(tf.matMul(P, tf.sub(tf.mul(S, 2), tf.mul(eye, 4))), tf.matMul(W, tf.mul(T, 2)));
    if (!withValue) return { gradient };
    const traceC = tf.sum(tf.mul(C, tf.eye(C.shape[0])));
    const value = tf.addN([traceC, tf.mul(tf.sum(tf.mul(T, eye)), -2), tf.sum(tf.mul(T, S))]);
    return { gradient, value };
  });
}

/** TF1's Adam: x ← x - rate·√(1-β2ᵗ)/(1-β1ᵗ) · m/(√v + ε). Returns [x, m, v] (new tensors). */
function adam(x, g, m, v, t, rate) {
  const step = (rate * Math.sqrt(1 - B2 ** t)) / (1 - B1 ** t);
  return tf.tidy(() => {
    const m1 = tf.add(tf.mul(m, B1), tf.mul(g, 1 - B1));
    const v1 = tf.add(tf.mul(v, B2), tf.mul(tf.square(g), 1 - B2));
    return [tf.sub(x, tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), EPS)), step)), m1, v1];
  });
}

function learnStep(layer) {
  const { gradient } = objective(layer.C, layer.W, false);
  const [W, m, v] = adam(layer.W, gradient, layer.m, layer.v, ++layer.t, c.RATE);
  gradient.dispose();
  replace(layer, { W, m, v });
}

/** Top codes of rows x (with zero labels): z = mirror(v) - b, h = z W, bottom-up. */
function encode(layers, x) {
  return tf.tidy(() => {
    let v = tf.concat([x, tf.zeros([x.shape[0], c.LABELS])], 1);
    for (const layer of layers) v = tf.matMul(tf.sub(mirror(v), layer.B), layer.W);
    return v;
  });
}

/**
 * Per layer, what the decode needs, made once per infer call: the weights' rows split into the even
 * (p) and odd (q) halves of each mirrored pair, as they are and transposed, and the bias split the
 * same way, so that every product is a plain matMul and no pair is ever gathered out of u.
 */
function decoder(layers) {
  return layers.map(({ n, W, B }) =>
    tf.tidy(() => {
      const even = tf.range(0, 2 * n, 2, 'int32');
      const odd = tf.range(1, 2 * n, 2, 'int32');
      const wp = tf.gather(W, even), wq = tf.gather(W, odd);
      // The biases go to fused matMuls, whose wasm kernel checks the rank of the data's first shape
      // (gather's data is 4-D, then reshaped): add 0 to give them data of their own shape.
      const bp = tf.add(tf.gather(B, even), 0), bq = tf.add(tf.gather(B, odd), 0);
      return { wp, wq, wpT: tf.transpose(wp), wqT: tf.transpose(wq), bp, bq };
    }),
  );
}
const disposeDecoder = (parts) => parts.forEach((part) => tf.dispose(Object.values(part)));

/**
 * The decode of codes h top-down (u = h Wᵀ + b; per pair p, q: out = p and residue q² if p > q, else
 * out = -q and residue p²), the completion loss ‖x - x̂‖² + residue, and its gradient with respect
 * to h, back-propagated by hand (dp = out' or 2p, dq = 2q or -out'; dh = dp·W_p + dq·W_q).
 */
function completion(parts, x, h, withLoss) {
  return tf.tidy(() => {
    const m = h.shape[0];
    const saved = [];
    let code = h;
    let residue = null;
    for (let l = parts.length - 1; l >= 0; --l) {
      const { wpT, wqT, bp, bq } = parts[l];
      const p = tf.fused.matMul({ a: code, b: wpT, bias: bp });
      const q = tf.fused.matMul({ a: code, b: wqT, bias: bq });
      const cond = tf.greater(p, q);
      saved[l] = { p, q, cond };
      code = tf.where(cond, p, tf.neg(q));
      if (withLoss) {
        const r = tf.sum(tf.where(cond, tf.square(q), tf.square(p)), 1);
        residue = residue ? tf.add(residue, r) : r;
      }
    }
    const diff = tf.sub(tf.slice(code, [0, 0], [m, c.INPUT]), x);
    let dout = tf.concat([tf.mul(diff, 2), tf.zeros([m, c.LABELS])], 1);
    for (let l = 0; l < parts.length; ++l) {
      const { p, q, cond } = saved[l];
      const dp = tf.where(cond, dout, tf.mul(p, 2));
      const dq = tf.where(cond, tf.mul(q, 2), tf.neg(dout));
      dout = tf.add(tf.matMul(dp, parts[l].wp), tf.matMul(dq, parts[l].wq));
    }
    const scores = tf.slice(code, [0, c.INPUT], [m, c.LABELS]);
    return withLoss ? { gradient: dout, scores, loss: tf.add(tf.sum(tf.square(diff), 1), residue) } : { gradient: dout, scores };
  });
}

/** Label completion: Adam (fresh per call) on the top codes; labels from the decode before the last update. */
function infer(layers, x, steps) {
  const parts = decoder(layers);
  let h = encode(layers, x);
  let m = tf.zerosLike(h);
  let v = tf.zerosLike(h);
  let scores = null;
  for (let t = 1; t <= steps; ++t) {
    const result = completion(parts, x, h, false);
    const next = adam(h, result.gradient, m, v, t, c.RATE);
    for (const old of [h, m, v, result.gradient, scores]) old?.dispose();
    [h, m, v] = next;
    scores = result.scores;
  }
  const labels = scores ? tf.tidy(() => tf.argMax(scores, 1)).dataSync() : null; // forces completion
  tf.dispose([h, m, v, ...(scores ? [scores] : [])]);
  disposeDecoder(parts);
  return labels;
}

// ---- checks against the package, on identical inputs ------------------------------------------

const maxAbs = (a) => a.reduce((s, x) => Math.max(s, Math.abs(x)), 0);
const maxAbsDiff = (a, b) => a.reduce((s, x, i) => Math.max(s, Math.abs(x - b[i])), 0);

function checks(state, batch) {
  const report = {};
  const layers = c.SHAPES.map((shape, l) => makeLayer(shape, state[`check.${l}.W`]));
  collectStack(layers, batch.joint, c.ALPHA);
  report.collect = c.SHAPES.map((_, l) => {
    const C = layers[l].C.dataSync();
    const B = layers[l].B.dataSync();
    return {
      C: maxAbsDiff(C, state[`check.${l}.C`]) / maxAbs(state[`check.${l}.C`]),
      B: maxAbsDiff(B, state[`check.${l}.B`]) / maxAbs(state[`check.${l}.B`]),
    };
  });
  // The objective on our W and C exactly (not the peer's own C).
  report.objective = c.SHAPES.map((shape, l) => {
    const C = tf.tensor2d(state[`check.${l}.C`], [shape.d, shape.d]);
    const W = tf.tensor2d(state[`check.${l}.W`], [shape.d, shape.k]);
    const { value, gradient } = objective(C, W, true);
    const peer = value.dataSync()[0];
    const ours = state['check.objectives'][l];
    const G = gradient.dataSync();
    const ourG = state[`check.${l}.gradient`];
    tf.dispose([C, W, value, gradient]);
    return { package: ours, peer, relative: Math.abs(peer - ours) / Math.abs(ours), gradient: maxAbsDiff(G, ourG) / maxAbs(ourG) };
  });
  // One learn step (TF1 Adam) from our W and C: the step taken, compared with ours.
  report.learn = c.SHAPES.map((shape, l) => {
    const layer = makeLayer(shape, state[`check.${l}.W`], state[`check.${l}.C`]);
    learnStep(layer);
    const W1 = layer.W.dataSync();
    tf.dispose([layer.W, layer.C, layer.B, layer.m, layer.v]);
    const W0 = state[`check.${l}.W`], ours = state[`check.${l}.W1`];
    let difference = 0, step = 0;
    for (let i = 0; i < W1.length; ++i) {
      difference += (W1[i] - ours[i]) ** 2;
      step += (ours[i] - W0[i]) ** 2;
    }
    return Math.sqrt(difference / step);
  });
  // Completion loss and gradient of our model (our W after the step, b) at our codes.
  const ours = c.SHAPES.map((shape, l) => makeLayer(shape, state[`check.${l}.W1`], null, state[`check.${l}.b`]));
  const parts = decoder(ours);
  const probe = tf.tensor2d(batch.xs.subarray(0, 8 * c.INPUT), [8, c.INPUT]);
  const codes = tf.tensor2d(state['probe.codes'], [8, c.LAYERS[c.LAYERS.length - 1]]);
  const result = completion(parts, probe, codes, true);
  const loss = result.loss.dataSync();
  report.completion = {
    loss: maxAbsDiff(loss, state['probe.loss']) / maxAbs(state['probe.loss']),
    gradient: maxAbsDiff(result.gradient.dataSync(), state['probe.gradient']) / maxAbs(state['probe.gradient']),
  };
  tf.dispose([probe, codes, ...Object.values(result)]);
  disposeDecoder(parts);
  for (const layer of [...layers, ...ours]) tf.dispose([layer.W, layer.C, layer.B, layer.m, layer.v]);
  return report;
}

// ---- main -----------------------------------------------------------------------------------------

async function main() {
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  wasm.setWasmPaths(dist + path.sep); // the .wasm files in node_modules: nothing is fetched
  const ready = options.wasmThreads > 0 ? require('./wasm-threads').enable(tf, wasm, options.wasmThreads) : () => {};
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend did not initialise');
  await tf.ready();
  ready();
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  const build = {
    backend: tf.getBackend(),
    tfjs: tf.version.tfjs,
    wasm: threaded && simd ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm',
    threads: threaded ? wasm.getThreadsCount() : 1,
  };
  log(`tfjs ${build.tfjs}, backend ${build.backend}, ${build.wasm}, ${build.threads} thread(s)`);
  process.send({ ready: true });

  const data = c.readTensors(path.join(options.dir, 'data.bin'));
  const state = c.readTensors(path.join(options.dir, 'state.bin'));
  const rows = (start, count) => ({
    xs: data.x.subarray(start * c.INPUT, (start + count) * c.INPUT),
    x: tf.tensor2d(data.x.subarray(start * c.INPUT, (start + count) * c.INPUT), [count, c.INPUT]),
    joint: tf.tidy(() => tf.concat([
      tf.tensor2d(data.x.subarray(start * c.INPUT, (start + count) * c.INPUT), [count, c.INPUT]),
      tf.tensor2d(data.y.subarray(start * c.LABELS, (start + count) * c.LABELS), [count, c.LABELS]),
    ], 1)),
  });
  const batch = rows(0, c.BATCH);
  const check = checks(state, batch);
  const budget = options.budget;
  const wanted = new Set(options.ops);
  const results = {};
  const record = (id, figure, extra = {}) => {
    results[id] = { peer: figure, ...extra };
    log(`${id}: ${(figure.seconds * 1e3).toFixed(2)} ms (${figure.repeats} repeats)`);
  };

  // The stack on the check model's weights, after the 256 rows.
  const stack = c.SHAPES.map((shape, l) => makeLayer(shape, state[`check.${l}.W`], state[`check.${l}.C`], state[`check.${l}.B`]));
  const sync = (tensor) => tensor.dataSync(); // wasm kernels run eagerly; reading back makes sure
  for (const m of [1, c.BATCH]) {
    const id = `collect-${m}`;
    if (!wanted.has(id)) continue;
    const r = rows(0, m);
    record(id, c.measure(() => {
      collectStack(stack, r.joint, c.ALPHA);
      sync(tf.tidy(() => tf.slice(stack[stack.length - 1].B, [0], [1])));
    }, { budget }));
  }
  c.SHAPES.forEach((shape, l) => {
    if (!wanted.has(`learn-${l}`)) return;
    const layer = makeLayer(shape, state[`single.${l}.W`], state[`single.${l}.C`]);
    record(`learn-${l}`, c.measure(() => {
      learnStep(layer);
      sync(tf.tidy(() => tf.slice(layer.W, [0, 0], [1, 1])));
    }, { budget, min: 3 }));
    tf.dispose([layer.W, layer.C, layer.B, layer.m, layer.v]);
  });
  if (wanted.has('learn-stack'))
    record('learn-stack', c.measure(() => {
      for (const layer of stack) learnStep(layer);
      sync(tf.tidy(() => tf.slice(stack[stack.length - 1].W, [0, 0], [1, 1])));
    }, { budget, min: 3 }));
  for (const m of [1, c.BATCH]) {
    const id = `infer-${m}`;
    if (!wanted.has(id)) continue;
    const r = rows(0, m);
    record(id, c.measure(() => infer(stack, r.x, c.STEPS), { budget, warmup: () => infer(stack, r.x, 2) }));
  }

  if (wanted.has('online')) {
    const online = c.SHAPES.map((shape, l) => makeLayer(shape, state[`online.${l}.W`]));
    const boot = rows(0, 1);
    collectStack(online, boot.joint, 0.5);
    const predictions = [];
    const perRow = [];
    for (let r = 0; r < options.rows; ++r) {
      const row = rows(r, 1);
      const start = c.now();
      predictions.push(infer(online, row.x, c.STEPS)[0]);
      collectStack(online, row.joint, c.ALPHA);
      for (const layer of online) for (let s = 0; s < c.STEPS; ++s) learnStep(layer);
      sync(tf.tidy(() => tf.slice(online[online.length - 1].W, [0, 0], [1, 1])));
      perRow.push(c.now() - start);
      tf.dispose([row.x, row.joint]);
      log(`online row ${r + 1}/${options.rows}: ${perRow[r].toFixed(2)} s`);
    }
    const objectives = online.map((layer) => {
      const { value, gradient } = objective(layer.C, layer.W, true);
      const f = value.dataSync()[0];
      tf.dispose([value, gradient]);
      return f;
    });
    record('online', { ...c.summary(perRow), total: perRow.reduce((a, b) => a + b, 0) }, { predictions, objectives });
  }

  // The threaded build's workers would keep the process alive: leave once the results are out.
  process.send({ results, check, build, tensors: tf.memory().numTensors, peakRssMiB: c.peakRssMiB() }, () => process.exit(0));
}

main().catch((error) => {
  process.stderr.write(`${error.stack ?? error}\n`);
  process.exit(1);
});

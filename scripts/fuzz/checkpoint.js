'use strict';
/**
 * Fuzz targets of the checkpoint readers: Autoencoder.fromBuffer, load, inspect and loadWithInfo.
 * Cases start from real checkpoints of small trained models and damage them three ways: bytes
 * (flips, truncation, extension, random files), the JSON header (values, keys, duplicated keys,
 * the header length) and the state (element values), the last two optionally with a recomputed
 * SHA-256 or re-serialised by the package's own writer, so that the checks behind the checksum are
 * reached. Oracles: failures are package errors; a loaded model holds exactly the stored state and
 * works; the buffer and file readers agree; an undamaged checkpoint loads and re-saves identically.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const { attempt, expectClean, fail, mutationArbitrary, mutate, sameBytes, sometimes, weirdValue, typeName } = require('./common');

const BASE_OPTIONS = [
  { inputSize: 3, labelSize: 2, layers: [4, 2], statistics: 'ema', seed: 5, initScale: 0.3 },
  { inputSize: 2, labelSize: 0, layers: [3], statistics: 'cumulative', solver: 'subspace', seed: 9, initScale: 0.2 },
  { inputSize: 1, labelSize: 1, layers: [1, 2, 1], solver: 'eig', rate: 0.5, initScale: 0.1 },
];
const METADATA = { run: 'fuzz', epoch: '3' };

/** Real checkpoints of small trained models, built once per process. */
function bases(api) {
  if (bases.cache) return bases.cache;
  bases.cache = BASE_OPTIONS.map((options, i) => {
    const model = new api.Autoencoder(options);
    const n = options.inputSize;
    const x = Float32Array.from({ length: 4 * n }, (_, j) => Math.sin(j * 1.7 + i));
    const y = options.labelSize ? Float32Array.from({ length: 4 * options.labelSize }, (_, j) => (j % options.labelSize === 1 ? 1 : 0)) : null;
    model.collect(x, y, { alpha: 0.3 });
    model.learn({ steps: 3 });
    model.collect(x.map((v) => v * 0.5), y);
    const buffer = model.toBuffer({ metadata: METADATA });
    model.dispose();
    return buffer;
  });
  return bases.cache;
}

function split(buffer) {
  const length = Number(buffer.readBigUInt64LE(0));
  return { json: buffer.subarray(8, 8 + length).toString('utf8'), data: buffer.subarray(8 + length) };
}

function assemble(json, data, lengthDelta = 0n) {
  const padded = json + ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  const length = BigInt(Buffer.byteLength(padded)) + lengthDelta;
  head.writeBigUInt64LE(BigInt.asUintN(64, length));
  return Buffer.concat([head, Buffer.from(padded, 'utf8'), data]);
}

/** What the reader hashes (lib/checkpoint/model-checkpoint.ts): config JSON, 0, user JSON, 0, the data section. */
function checksum(config, user, data) {
  return createHash('sha256').update(config).update('\0').update(user).update('\0').update(data).digest('hex');
}

function rehash(header, data) {
  const meta = header.__metadata__;
  if (meta && typeof meta === 'object' && typeof meta.config === 'string' && (meta.user === undefined || typeof meta.user === 'string'))
    meta.sha256 = checksum(meta.config, meta.user ?? '{}', data);
}

// ----------------------------------------------------------------------------------- the oracle

function stateOf(layer) {
  return [layer.W, layer.b, layer.B, layer.C, layer.adam.m, layer.adam.v];
}

async function checkCheckpoint(api, ctx, buffer, { viaFile, pristineOf }) {
  const loaded = expectClean(await attempt(() => api.Autoencoder.fromBuffer(buffer)), 'fromBuffer');
  const decoded = expectClean(await attempt(() => api.decodeCheckpoint(buffer)), 'decodeCheckpoint');
  if (loaded.ok && !decoded.ok) fail(`fromBuffer accepted what decodeCheckpoint refused: ${decoded.error.message}`);
  if (pristineOf !== undefined && !loaded.ok) fail(`fromBuffer refused an undamaged checkpoint: ${loaded.error.message}`);
  if (!loaded.ok && decoded.ok && !/holds a state no model can have/.test(loaded.error.message))
    fail(`fromBuffer refused a decodable checkpoint for another reason than its state: ${loaded.error.message}`);
  try {
    if (loaded.ok) {
      const model = loaded.value;
      const contents = decoded.value;
      if (JSON.stringify(model.config) !== JSON.stringify(contents.config)) fail('the loaded model has another configuration than the file');
      for (let l = 0; l < model.depth; ++l) {
        const s = model.layer(l);
        const t = contents.layers[l];
        if (!stateOf(s).every((a, i) => sameBytes(a, stateOf(t)[i])) || s.N !== t.N || s.decaySinceFlush !== t.decaySinceFlush || s.adam.t !== t.adam.t)
          fail(`layer ${l} of the loaded model differs from the file's`);
      }
      if (pristineOf !== undefined && !model.toBuffer({ metadata: METADATA }).equals(pristineOf)) fail('an undamaged checkpoint does not re-save to the same bytes');
      // The restored model must work, or fail cleanly (for example on a state that diverges).
      const { inputSize, labelSize } = model.config;
      expectClean(await attempt(() => model.objectives()), 'objectives() of a loaded model');
      const codes = expectClean(await attempt(() => model.encode(new Float32Array(2 * inputSize).fill(0.5))), 'encode() of a loaded model');
      if (codes.ok && codes.value.length !== 2 * model.codeSize) fail('encode() of a loaded model returned the wrong length');
      expectClean(await attempt(() => model.learn({ steps: 1 })), 'learn() of a loaded model');
      if (labelSize > 0) expectClean(await attempt(() => model.infer(new Float32Array(inputSize), { steps: 1 })), 'infer() of a loaded model');
    }
    if (viaFile) {
      const file = path.join(ctx.tmp, `${process.pid}-ckpt-${++checkCheckpoint.counter}.safetensors`);
      fs.writeFileSync(file, buffer);
      try {
        const fromFile = expectClean(await attempt(() => api.Autoencoder.load(file)), 'load', { system: true });
        const info = expectClean(await attempt(() => api.Autoencoder.inspect(file)), 'inspect', { system: true });
        const both = expectClean(await attempt(() => api.Autoencoder.loadWithInfo(file)), 'loadWithInfo', { system: true });
        if (fromFile.ok !== loaded.ok) fail(`load ${fromFile.ok ? 'accepted' : 'refused'} what fromBuffer ${loaded.ok ? 'accepted' : 'refused'}`);
        if (both.ok !== loaded.ok) fail(`loadWithInfo ${both.ok ? 'accepted' : 'refused'} what fromBuffer ${loaded.ok ? 'accepted' : 'refused'}`);
        if (info.ok !== decoded.ok) fail(`inspect ${info.ok ? 'accepted' : 'refused'} what decodeCheckpoint ${decoded.ok ? 'accepted' : 'refused'}: ${info.ok ? '' : info.error.message}`);
        if (info.ok) {
          const i = info.value;
          if (JSON.stringify(i.config) !== JSON.stringify(decoded.value.config) || i.layers.length !== i.config.layers.length || typeName(i.metadata) !== 'Object')
            fail('inspect reports another configuration than the file holds');
        }
        if (fromFile.ok) fromFile.value.dispose();
        if (both.ok) both.value.model.dispose();
      } finally {
        fs.rmSync(file, { force: true });
      }
    }
  } finally {
    if (loaded.ok) loaded.value.dispose();
  }
  return loaded.ok ? 'loaded' : decoded.ok ? 'decoded, state refused' : 'refused';
}
checkCheckpoint.counter = 0;

// ------------------------------------------------------------------------------- byte mutations

function bytesArbitrary(fc) {
  return fc.record({
    base: fc.nat(BASE_OPTIONS.length - 1),
    ops: fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 8, arbitrary: fc.array(mutationArbitrary(fc), { minLength: 1, maxLength: 4 }) }),
    random: sometimes(fc, fc.tuple(fc.constantFrom('none', 'length', 'json'), fc.uint8Array({ maxLength: 128 })), 6),
    viaFile: fc.nat(7).map((n) => n === 0),
  });
}

async function runBytes(api, ctx, c) {
  const base = bases(api)[c.base];
  let buffer = mutate(base, c.ops);
  if (c.random) {
    const [prefix, bytes] = c.random;
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(bytes.length));
    buffer = prefix === 'none' ? Buffer.from(bytes) : prefix === 'length' ? Buffer.concat([head, bytes]) : Buffer.concat([head, Buffer.from('{"a":'), bytes]);
  }
  return checkCheckpoint(api, ctx, buffer, { viaFile: c.viaFile, pristineOf: c.ops.length === 0 && !c.random ? base : undefined });
}

// ------------------------------------------------------------------------------- header edits

function jsonValueArbitrary(fc) {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        0, -1, 1, 2, 3, 8, 1.5, -0.5, 1e308, -1e308, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e21, 4294967296, '1', '', 'F32', 'F64', 'I64', 'F16', 'BF16', 'U8', 'I32', 'BOOL',
        null, true, false, [], [0], [1, 1], [-1], [0, 2 ** 53], [0, 0], [8, 0], [2 ** 53, 2 ** 53 + 8], [1e308], [[1]], {}, { dtype: 'F32', shape: [], data_offsets: [0, 4] }, '__proto__',
        'indeependence', '0', '2', 'ema', 'cumulative', 'adam', 'eig', 'subspace', 'cpu', 'gpu', '{}', '[]', '{"a":1}', '{"a":"b"}', 'null', 'x'.repeat(64),
      ),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
  );
}

/** Every path of a header (with the configuration inside __metadata__.config opened up). */
function paths(value, prefix = [], out = []) {
  out.push(prefix);
  if (value !== null && typeof value === 'object') for (const key of Object.keys(value)) paths(value[key], [...prefix, key], out);
  return out;
}

function headerArbitrary(fc) {
  const edit = fc.record({
    pick: fc.nat(),
    action: fc.constantFrom('set', 'set', 'set', 'delete', 'rename', 'add'),
    value: jsonValueArbitrary(fc),
    key: fc.constantFrom('__metadata__', '__proto__', 'layers.0.W', 'layers.0.N', 'layers.9.W', 'extra', 'constructor', 'config', 'user', 'sha256', 'format', 'version', 'package', 'inputSize', 'layers', 'device', 'toString', ''),
  });
  return fc.record({
    base: fc.nat(BASE_OPTIONS.length - 1),
    edits: fc.array(edit, { minLength: 1, maxLength: 3 }),
    duplicate: sometimes(fc, fc.record({ key: fc.constantFrom('__metadata__', 'layers.0.W', 'layers.0.N', 'layers.0.adam.t'), value: jsonValueArbitrary(fc), last: fc.boolean() }), 5),
    rehash: fc.nat(5).map((n) => n !== 0),
    lengthDelta: fc.oneof({ weight: 8, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constantFrom(-9n, -1n, 1n, 8n, 1n << 40n, -(1n << 63n)) }),
    viaFile: fc.nat(7).map((n) => n === 0),
  });
}

async function runHeader(api, ctx, c) {
  const { json, data } = split(bases(api)[c.base]);
  const header = JSON.parse(json);
  const meta = header.__metadata__;
  const tree = { ...header, __metadata__: { ...meta, config: JSON.parse(meta.config) } };
  for (const e of c.edits) {
    const all = paths(tree).filter((p) => p.length > 0);
    const p = all[e.pick % all.length];
    let parent = tree;
    for (const k of p.slice(0, -1)) parent = parent[k];
    const last = p[p.length - 1];
    if (parent === null || typeof parent !== 'object') continue;
    // A copy of the value: the arbitrary hands out the same object to every case that draws it (the
    // arrays and objects of jsonValueArbitrary's constantFrom), and a later edit that lands inside
    // it would change it for every case after this one. Inserted as is, such values accumulated the
    // edits of earlier cases (a case no longer replayed alone as it ran), became cyclic (an edit
    // setting one inside itself), and paths() then followed the cycle, building ever longer paths
    // until the worker ran out of heap (checkpoint.header, --seed 11, case 88,075).
    const value = structuredClone(e.value);
    if (e.action === 'set') parent[last] = value;
    else if (e.action === 'delete') Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
    else if (e.action === 'rename' && !Array.isArray(parent)) {
      const v = parent[last];
      delete parent[last];
      Object.defineProperty(parent, e.key, { value: v, enumerable: true, writable: true, configurable: true });
    } else if (e.action === 'add' && !Array.isArray(parent)) Object.defineProperty(parent, e.key, { value, enumerable: true, writable: true, configurable: true });
  }
  const out = tree;
  const m = out.__metadata__;
  if (m !== null && typeof m === 'object' && !Array.isArray(m) && m.config !== null && typeof m.config === 'object') m.config = JSON.stringify(m.config);
  if (c.rehash) rehash(out, data);
  let text = JSON.stringify(out);
  if (c.duplicate) {
    const entry = `${JSON.stringify(c.duplicate.key)}:${JSON.stringify(c.duplicate.value)}`;
    text = c.duplicate.last && text.endsWith('}') && text.length > 2 ? `${text.slice(0, -1)},${entry}}` : text.startsWith('{') ? `{${entry},${text.slice(1)}` : text;
  }
  return checkCheckpoint(api, ctx, assemble(text, data, c.lengthDelta), { viaFile: c.viaFile });
}

// -------------------------------------------------------------------------------- state edits

const F32_VALUES = [NaN, Infinity, -Infinity, 3e38, -3e38, -0, 1e-45, -1, 1e30, 0, 1];
const F64_VALUES = [NaN, Infinity, -Infinity, -1, 0, -0, 1e308, 2, 0.5, 1, 5e-324, 2 ** 53, 1e-300, 1.0000000001];
const I64_VALUES = [-1n, 0n, 1n, 5n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, -(1n << 63n)];

function stateArbitrary(fc) {
  const edit = fc.record({ tensor: fc.nat(), element: fc.nat(), f32: fc.constantFrom(...F32_VALUES), f64: fc.constantFrom(...F64_VALUES), i64: fc.constantFrom(...I64_VALUES) });
  return fc.record({
    base: fc.nat(BASE_OPTIONS.length - 1),
    edits: fc.array(edit, { minLength: 1, maxLength: 4 }),
    writer: fc.boolean(),
    config: sometimes(fc, fc.record({ key: fc.constantFrom('rate', 'seed', 'solver', 'statistics', 'initScale', 'device', 'labelSize', 'inputSize', 'layers'), value: fc.oneof(jsonValueArbitrary(fc), weirdValue(fc)) }), 4),
    rehash: fc.nat(7).map((n) => n !== 0),
    viaFile: fc.nat(7).map((n) => n === 0),
  });
}

function writeElement(bytes, dtype, element, e) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'F32' ? 4 : 8;
  const at = (element % Math.max(1, bytes.byteLength / size)) * size;
  if (bytes.byteLength < size) return;
  if (dtype === 'F32') view.setFloat32(at, e.f32, true);
  else if (dtype === 'F64') view.setFloat64(at, e.f64, true);
  else view.setBigInt64(at, e.i64, true);
}

async function runState(api, ctx, c) {
  const base = bases(api)[c.base];
  let buffer;
  if (c.writer) {
    // Re-serialised by the package's own writer: a valid container and checksum around the edited state.
    const contents = api.decodeCheckpoint(base);
    const config = { ...contents.config };
    if (c.config) config[c.config.key] = c.config.value;
    const fields = (layer) => [['W', layer, 'W'], ['b', layer, 'b'], ['B', layer, 'B'], ['C', layer, 'C'], ['m', layer.adam, 'm'], ['v', layer.adam, 'v'], ['N', layer, 'N'], ['decay', layer, 'decaySinceFlush'], ['t', layer.adam, 't']];
    for (const e of c.edits) {
      const layer = contents.layers[e.tensor % contents.layers.length];
      const [name, holder, key] = fields(layer)[Math.floor(e.tensor / contents.layers.length) % 9];
      if (name === 'N' || name === 'decay') holder[key] = e.f64;
      else if (name === 't') holder[key] = Number(BigInt.asIntN(54, e.i64)); // the writer takes a number
      else holder[key][e.element % holder[key].length] = e.f32;
    }
    let encoded;
    try {
      encoded = api.encodeCheckpoint(config, { layers: contents.layers, classes: contents.classes }, '0.0.0-fuzz', METADATA);
    } catch {
      return 'writer refused'; // the writer refused its own input (for example a configuration JSON.stringify cannot hold): nothing to read
    }
    buffer = encoded;
  } else {
    const { json, data } = split(base);
    const header = JSON.parse(json);
    const names = Object.keys(header).filter((k) => k !== '__metadata__').sort();
    const edited = Buffer.from(data);
    for (const e of c.edits) {
      const entry = header[names[e.tensor % names.length]];
      writeElement(edited.subarray(entry.data_offsets[0], entry.data_offsets[1]), entry.dtype, e.element, e);
    }
    if (c.config) {
      const config = JSON.parse(header.__metadata__.config);
      config[c.config.key] = c.config.value;
      let text;
      try {
        text = JSON.stringify(config);
      } catch {
        text = undefined; // a BigInt or a cycle: no JSON to store
      }
      if (typeof text === 'string') header.__metadata__.config = text;
    }
    if (c.rehash) rehash(header, edited);
    buffer = assemble(JSON.stringify(header), edited);
  }
  return checkCheckpoint(api, ctx, buffer, { viaFile: c.viaFile });
}

module.exports = function checkpointTargets(fc, api, ctx) {
  return [
    { name: 'checkpoint.bytes', weight: 2, arbitrary: bytesArbitrary(fc), run: (c) => runBytes(api, ctx, c) },
    { name: 'checkpoint.header', weight: 2, arbitrary: headerArbitrary(fc), run: (c) => runHeader(api, ctx, c) },
    { name: 'checkpoint.state', weight: 2, arbitrary: stateArbitrary(fc), run: (c) => runState(api, ctx, c) },
  ];
};

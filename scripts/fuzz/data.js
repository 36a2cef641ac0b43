'use strict';
/**
 * Fuzz targets of the data readers (lib/data): IDX and NPY (plain, gzip, from a buffer or a file,
 * whole or streamed) and CSV (whole or streamed). Each case is a valid file built from generated
 * parameters, then optionally damaged: header edits, byte mutations, or random bytes instead.
 * Oracles: every failure is a package error; every success is a self-consistent tensor; the
 * streamed batches concatenate to the whole read; a buffer and a file of the same bytes agree; an
 * undamaged file reads back exactly what was written.
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const { attempt, expectClean, fail, mutationArbitrary, mutate, randomBytes, sometimes, concatTyped, sameBytes, take, shapeProduct, typeName, weirdValue, SPECIAL_U32 } = require('./common');

// The typed array of each dtype, as the readers use it.
const { ARRAY_TYPES } = require(path.join(__dirname, '..', '..', 'dist', 'data', 'source'));

/** Every success must be a tensor whose data matches its dtype and shape. */
function checkTensor(t, what) {
  if (t === null || typeof t !== 'object') fail(`${what}: result is not an object`);
  const Type = ARRAY_TYPES[t.dtype];
  if (!Type) fail(`${what}: unknown dtype ${t.dtype}`);
  if (typeName(t.data) !== Type.name) fail(`${what}: data is a ${typeName(t.data)} for dtype ${t.dtype}`);
  if (!Array.isArray(t.shape) || !t.shape.every((n) => Number.isSafeInteger(n) && n >= 0)) fail(`${what}: bad shape ${JSON.stringify(t.shape)}`);
  if (shapeProduct(t.shape) !== BigInt(t.data.length))
    fail(`${what}: shape [${t.shape.length > 8 ? `${t.shape.slice(0, 8).join(', ')}, … (${t.shape.length} axes)` : t.shape.join(', ')}] but ${t.data.length} elements`);
}

/** Decodes `count` elements of `dtype` from bytes in the given byte order (by swapping bytes, so NaN payloads survive). */
function decodeElements(bytes, dtype, count, littleEndian) {
  const Type = ARRAY_TYPES[dtype];
  const copy = Buffer.from(bytes.subarray(0, count * Type.BYTES_PER_ELEMENT));
  if (littleEndian !== (require('node:os').endianness() === 'LE')) {
    if (Type.BYTES_PER_ELEMENT === 2) copy.swap16();
    if (Type.BYTES_PER_ELEMENT === 4) copy.swap32();
    if (Type.BYTES_PER_ELEMENT === 8) copy.swap64();
  }
  const aligned = new Uint8Array(copy.length);
  aligned.set(copy);
  return new Type(aligned.buffer, 0, count);
}

let fileCounter = 0;
function tempFile(ctx, name, bytes) {
  const file = path.join(ctx.tmp, `${process.pid}-${++fileCounter}-${name}`);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The problem part of a format error message (after 'source: '), to compare a buffer's error with a file's. */
function problemOf(error, source) {
  const message = String(error && error.message);
  return message.startsWith(`${source}: `) ? message.slice(source.length + 2) : message;
}

/** The shared oracle of the two array formats. */
async function checkArrayFile(ctx, read, stream, c, bytes, expected) {
  const source = c.gzip ? zlib.gzipSync(bytes, { level: 1 }) : bytes;
  const whole = expectClean(await attempt(() => read(source)), 'read(buffer)');
  if (whole.ok) checkTensor(whole.value, 'read(buffer)');
  if (expected) {
    if (!whole.ok) fail(`read(buffer) refused an undamaged file: ${whole.error.message}`);
    const t = whole.value;
    if (t.dtype !== expected.dtype || t.shape.join() !== expected.shape.join() || !sameBytes(t.data, expected.data))
      fail(`read(buffer) read ${t.dtype} [${t.shape}] differently from what was written (${expected.dtype} [${expected.shape}])`);
  }
  const streamed = expectClean(await attempt(() => take(stream(source, { rows: c.rows }))), 'stream(buffer)');
  if (streamed.ok) {
    for (const b of streamed.value.items) checkTensor(b, 'stream(buffer) batch');
    if (!streamed.value.capped) {
      if (!whole.ok) fail(`stream accepted what read refused (${whole.error.message})`);
      const t = whole.value;
      const items = streamed.value.items;
      const rows = items.reduce((a, b) => a + b.shape[0], 0);
      if (rows !== t.shape[0] || items.some((b) => b.dtype !== t.dtype || b.shape.slice(1).join() !== t.shape.slice(1).join() || b.shape[0] > c.rows || b.shape[0] < 1))
        fail(`stream batches [${items.map((b) => `[${b.shape}]`)}] do not tile read's [${t.shape}] with rows ${c.rows}`);
      if (!sameBytes(concatTyped(items.map((b) => b.data), ARRAY_TYPES[t.dtype]), t.data)) fail('stream batches hold other data than read');
    }
  } else if (whole.ok && whole.value.shape.length > 0) {
    fail(`stream refused what read accepted: ${streamed.error.message}`);
  }
  if (c.viaFile) {
    const file = tempFile(ctx, c.gzip ? 'f.gz' : 'f', source);
    try {
      const fromFile = expectClean(await attempt(() => read(file)), 'read(file)', { system: true });
      if (fromFile.ok !== whole.ok) fail(`read(file) ${fromFile.ok ? 'accepted' : 'refused'} what read(buffer) ${whole.ok ? 'accepted' : 'refused'}`);
      if (fromFile.ok && !sameBytes(fromFile.value.data, whole.value.data)) fail('read(file) and read(buffer) differ');
      if (!fromFile.ok && problemOf(fromFile.error, file) !== problemOf(whole.error, 'buffer'))
        fail(`read(file) and read(buffer) fail differently: '${problemOf(fromFile.error, file)}' vs '${problemOf(whole.error, 'buffer')}'`);
      const streamedFile = expectClean(await attempt(() => take(stream(file, { rows: c.rows }))), 'stream(file)', { system: true });
      if (streamed.ok && streamedFile.ok !== streamed.ok) fail('stream(file) and stream(buffer) disagree');
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
  return whole.ok ? 'read' : 'refused';
}

/** Shapes built from repeated special values: many axes, zeros after an overflowing product, and so on. */
function groupedShape(fc, values) {
  return fc
    .array(
      fc.record({
        v: fc.oneof(fc.constantFrom(...values), fc.nat(6), fc.constantFrom(0, values[values.length - 1])),
        n: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 48 }), fc.integer({ min: 30, max: 48 })),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((groups) => groups.flatMap(({ v, n }) => Array(n).fill(v)));
}

// ------------------------------------------------------------------------------------------- IDX

const IDX_TYPES = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e };

function idxCaseArbitrary(fc) {
  return fc.record({
    dtype: fc.constantFrom(...Object.keys(IDX_TYPES)),
    shape: fc.array(fc.nat(5), { minLength: 1, maxLength: 4 }),
    seed: fc.nat(),
    header: sometimes(
      fc,
      fc.record({
        dtypeByte: sometimes(fc, fc.oneof(fc.constantFrom(...Object.values(IDX_TYPES)), fc.nat(255)), 2),
        dims: sometimes(fc, groupedShape(fc, SPECIAL_U32), 2),
        rank: sometimes(fc, fc.nat(255), 3),
      }),
      4,
    ),
    ops: fc.oneof(fc.constant([]), fc.array(mutationArbitrary(fc), { minLength: 1, maxLength: 3 })),
    random: sometimes(fc, fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 64 })), 10),
    gzip: fc.boolean(),
    viaFile: fc.nat(11).map((n) => n === 0),
    rows: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 7, 2 ** 32)),
  });
}

function idxBytes(dtypeByte, dims, rank, body) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.set([0, 0, dtypeByte, rank]);
  dims.forEach((n, i) => head.writeUInt32BE(n >>> 0, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

async function runIdx(api, ctx, c) {
  const Type = ARRAY_TYPES[c.dtype];
  const count = c.shape.reduce((a, b) => a * b, 1);
  const body = randomBytes(c.seed, count * Type.BYTES_PER_ELEMENT);
  let bytes = idxBytes(IDX_TYPES[c.dtype], c.shape, c.shape.length, body);
  const pristine = !c.header && c.ops.length === 0 && !c.random;
  if (c.header) {
    const dims = (c.header.dims ?? c.shape).slice(0, 255);
    bytes = idxBytes(c.header.dtypeByte ?? IDX_TYPES[c.dtype], dims, c.header.rank ?? dims.length, body);
  }
  bytes = mutate(bytes, c.ops);
  if (c.random) bytes = Buffer.concat([c.random[0] ? Buffer.from([0, 0, 8, 1]) : Buffer.alloc(0), c.random[1]]);
  const expected = pristine ? { dtype: c.dtype, shape: c.shape, data: decodeElements(body, c.dtype, count, false) } : null;
  return checkArrayFile(ctx, api.readIdx, api.streamIdx, c, bytes, expected);
}

// ------------------------------------------------------------------------------------------- NPY

const NPY_VALID = { '<f4': 'float32', '>f4': 'float32', '<f8': 'float64', '>f8': 'float64', '|u1': 'uint8', '|i1': 'int8', '<i2': 'int16', '>i2': 'int16', '<i4': 'int32', '>i4': 'int32', '<i8': 'int64', '>i8': 'int64' };
const NPY_INVALID = ['<u8', '>u8', '|f4', '<c8', 'f4', '<f16', '', '<f2', '<U10', '|b1', '<u2', '<i16', '<i1', '|i2', '=f4', '<F4', '<f4 '];
const SPECIAL_DIMS = [0, 1, 2, 3, 65536, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53, 1e21, 1e300];

function shapeText(dims, { list = false, suffix = false } = {}) {
  const items = dims.map((n) => (Number.isSafeInteger(n) ? String(n) : BigInt(Math.floor(n)).toString()) + (suffix ? 'L' : ''));
  if (list) return `[${items.join(', ')}]`;
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

function npyCaseArbitrary(fc) {
  return fc.record({
    version: fc.constantFrom(1, 2, 3),
    descr: fc.constantFrom(...Object.keys(NPY_VALID)),
    shape: fc.array(fc.nat(4), { maxLength: 3 }),
    seed: fc.nat(),
    style: fc.record({ order: fc.nat(5), trailingComma: fc.boolean(), list: fc.nat(7).map((n) => n === 0), suffix: fc.nat(7).map((n) => n === 0), pad: fc.boolean(), quote: fc.constantFrom("'", '"') }),
    header: sometimes(
      fc,
      fc.oneof(
        fc.record({ kind: fc.constant('descr'), descr: fc.constantFrom(...NPY_INVALID, ...Object.keys(NPY_VALID)) }),
        fc.record({ kind: fc.constant('shape'), dims: groupedShape(fc, SPECIAL_DIMS), list: fc.boolean() }),
        fc.record({ kind: fc.constant('nest'), depth: fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1000, max: 30000 })), open: fc.constantFrom('(', '[', '(['), where: fc.constantFrom('shape', 'descr', 'key') }),
        fc.record({ kind: fc.constant('fortran'), value: fc.constantFrom('True', 'False', '1', "'False'", 'None', '()') }),
        fc.record({ kind: fc.constant('key'), edit: fc.constantFrom('extra', 'duplicate', 'missing', 'numeric') }),
        fc.record({
          kind: fc.constant('text'),
          text: fc.string({ unit: fc.constantFrom(...`{}()[]'",: 0123456789LTrueFalsdcrphpon_<>|fiu\n\t\\#x-.e`.split('')), maxLength: 120 }),
        }),
      ),
      2,
    ),
    lengthDelta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -8, max: 8 }) }, { weight: 1, arbitrary: fc.constantFrom(65535, 65536, 0xffffffff) }),
    ops: fc.oneof(fc.constant([]), fc.array(mutationArbitrary(fc), { minLength: 1, maxLength: 3 })),
    random: sometimes(fc, fc.tuple(fc.boolean(), fc.uint8Array({ maxLength: 64 })), 10),
    gzip: fc.boolean(),
    viaFile: fc.nat(11).map((n) => n === 0),
    rows: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 7, 2 ** 32)),
  });
}

function npyBytes(version, headerText, lengthDelta, body) {
  const lengthBytes = version === 1 ? 2 : 4;
  const header = Buffer.from(headerText, version === 3 ? 'utf8' : 'latin1');
  const pre = Buffer.alloc(8 + lengthBytes);
  pre.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const length = Math.max(0, header.length + lengthDelta);
  if (version === 1) pre.writeUInt16LE(Math.min(length, 0xffff), 8);
  else pre.writeUInt32LE(Math.min(length, 0xffffffff), 8);
  return Buffer.concat([pre, header, body]);
}

async function runNpy(api, ctx, c) {
  const dtype = NPY_VALID[c.descr];
  const Type = ARRAY_TYPES[dtype];
  const count = c.shape.reduce((a, b) => a * b, 1);
  const body = randomBytes(c.seed, count * Type.BYTES_PER_ELEMENT);
  const q = c.style.quote;
  const entries = {
    descr: `${q}descr${q}: ${q}${c.descr}${q}`,
    fortran_order: `${q}fortran_order${q}: False`,
    shape: `${q}shape${q}: ${shapeText(c.shape, c.style)}`,
  };
  const h = c.header;
  if (h) {
    if (h.kind === 'descr') entries.descr = `${q}descr${q}: ${q}${h.descr}${q}`;
    if (h.kind === 'shape') entries.shape = `${q}shape${q}: ${shapeText(h.dims, { list: h.list })}`;
    if (h.kind === 'fortran') entries.fortran_order = `${q}fortran_order${q}: ${h.value}`;
    if (h.kind === 'nest') {
      const open = h.open.repeat(h.depth);
      const close = [...open].reverse().map((b) => (b === '(' ? ')' : ']')).join('');
      if (h.where === 'shape') entries.shape = `${q}shape${q}: ${open}${close}`;
      if (h.where === 'descr') entries.descr = `${q}descr${q}: ${open}${close}`;
      if (h.where === 'key') entries.extra = `${open}1${close}: 1`;
    }
    if (h.kind === 'key') {
      if (h.edit === 'extra') entries.extra = `${q}extra${q}: 1`;
      if (h.edit === 'duplicate') entries.again = entries.shape;
      if (h.edit === 'missing') delete entries.fortran_order;
      if (h.edit === 'numeric') entries.numeric = '1: 2';
    }
  }
  const keys = Object.keys(entries);
  const rotated = keys.slice(c.style.order % keys.length).concat(keys.slice(0, c.style.order % keys.length));
  let dict = `{${rotated.map((k) => entries[k]).join(', ')}${c.style.trailingComma ? ', ' : ''}}`;
  if (h && h.kind === 'text') dict = h.text;
  const prefix = (c.version === 1 ? 10 : 12) + Buffer.byteLength(dict, c.version === 3 ? 'utf8' : 'latin1') + 1;
  const text = c.style.pad ? `${dict}${' '.repeat((64 - (prefix % 64)) % 64)}\n` : dict;
  let bytes = npyBytes(c.version, text, c.lengthDelta, body);
  bytes = mutate(bytes, c.ops);
  if (c.random) bytes = Buffer.concat([c.random[0] ? Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]) : Buffer.alloc(0), c.random[1]]);
  const pristine = !h && c.lengthDelta === 0 && c.ops.length === 0 && !c.random;
  const expected = pristine ? { dtype, shape: c.shape, data: decodeElements(body, dtype, count, c.descr[0] !== '>') } : null;
  return checkArrayFile(ctx, api.readNpy, api.streamNpy, c, bytes, expected);
}

// ------------------------------------------------------------------------------------------- CSV

const PLAIN_NUMBERS = ['0', '1', '-1', '2.5', '-0.125', '.5', '5.', '+3', '1e3', '-2E-2', '3.4e38', '1e-40', '123456789', '0.1'];
const ODD_FIELDS = ['', ' ', 'NaN', 'nan', 'inf', 'Infinity', '-Infinity', '0x10', '1e', 'e1', '--1', '1.2.3', '3.5e38', '-3.5e38', '1e400', '"1"', '" 2 "', '"a""b"', '"x,y"', '"', 'a', '١', '\u00a0', '1_000', '0b1', '1n', '4294967296', '2147483648', '-0', '00012'];
const DELIMITERS = [',', ';', '\t', ' ', '||', 'ab', ', '];

function csvCaseArbitrary(fc) {
  const cell = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PLAIN_NUMBERS) }, { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -3e38, max: 3e38 }).map(String) }, { weight: 1, arbitrary: fc.constantFrom(...ODD_FIELDS) });
  return fc.record({
    cols: fc.integer({ min: 1, max: 5 }),
    rowCount: fc.integer({ min: 0, max: 7 }),
    cells: fc.array(cell, { minLength: 35, maxLength: 35 }),
    labels: fc.array(fc.oneof({ weight: 8, arbitrary: fc.nat(9).map(String) }, { weight: 1, arbitrary: fc.constantFrom('-1', '1.5', '2147483647', '2147483648', '1048576', '1e3', '', 'x', '3.0') }), { minLength: 7, maxLength: 7 }),
    label: sometimes(fc, fc.record({ at: fc.nat(5), byName: fc.boolean() }), 2),
    names: fc.boolean(),
    header: fc.constantFrom(undefined, 'auto', true, false),
    delimiter: fc.oneof({ weight: 4, arbitrary: fc.constant(',') }, { weight: 2, arbitrary: fc.constantFrom(...DELIMITERS) }),
    quote: fc.nat(7).map((n) => n === 0),
    eol: fc.constantFrom('\n', '\r\n', '\r'),
    bom: fc.nat(7).map((n) => n === 0),
    blank: fc.nat(5).map((n) => n === 0),
    trailing: fc.boolean(),
    options: sometimes(fc, fc.record({ key: fc.constantFrom('label', 'header', 'delimiter', 'rows', 'extra'), value: weirdValue(fc) }), 12),
    text: sometimes(fc, fc.array(fc.record({ at: fc.nat(), text: fc.string({ unit: fc.constantFrom(...',;"\n\r \t0123456789eE.+-abc\uFEFF\u00a0'.split('')), minLength: 1, maxLength: 4 }) }), { minLength: 1, maxLength: 3 }), 4),
    ops: fc.oneof({ weight: 6, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutationArbitrary(fc), { minLength: 1, maxLength: 2 }) }),
    gzip: fc.nat(5).map((n) => n === 0),
    viaFile: fc.nat(15).map((n) => n === 0),
    rows: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 2 ** 31 - 1)),
  });
}

async function runCsv(api, ctx, c) {
  const labelAt = c.label ? c.label.at % (c.cols + 1) : null;
  const width = c.cols + (labelAt === null ? 0 : 1);
  const names = Array.from({ length: width }, (_, i) => (i === labelAt ? 'lbl' : `c${i}`));
  const rows = [];
  const expectedX = [];
  const expectedLabels = [];
  let clean = true;
  for (let r = 0; r < c.rowCount; ++r) {
    const fields = [];
    let k = 0;
    for (let i = 0; i < width; ++i) {
      if (i === labelAt) {
        const text = c.labels[r];
        fields.push(text);
        if (!/^\d$/.test(text)) clean = false;
        expectedLabels.push(Number(text));
      } else {
        const text = c.cells[(r * c.cols + k++) % c.cells.length];
        fields.push(text);
        if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text) || !Number.isFinite(Math.fround(Number(text)))) clean = false;
        expectedX.push(Number(text));
      }
    }
    rows.push(fields);
  }
  const q = (f) => (c.quote ? `"${f.replace(/"/g, '""')}"` : f);
  const lines = [];
  if (c.names) lines.push(names.map(q).join(c.delimiter));
  for (const fields of rows) {
    lines.push(fields.map(q).join(c.delimiter));
    if (c.blank) lines.push('');
  }
  let text = (c.bom ? '\uFEFF' : '') + lines.join(c.eol) + (c.trailing ? c.eol : '');
  if (c.text) for (const e of c.text) text = text.slice(0, e.at % (text.length + 1)) + e.text + text.slice(e.at % (text.length + 1));
  let bytes = mutate(Buffer.from(text, 'utf8'), c.ops);
  const options = { delimiter: c.delimiter };
  if (c.header !== undefined) options.header = c.header;
  if (labelAt !== null) options.label = c.label.byName ? 'lbl' : labelAt;
  if (c.options) options[c.options.key] = c.options.value;
  const source = c.gzip ? zlib.gzipSync(bytes, { level: 1 }) : bytes;

  // An undamaged file of plain numbers whose header option agrees with the file: the exact values are known.
  const delimiterSafe = !/[\d.eE+\-\s"]/.test(c.delimiter) || c.quote;
  const headerAgrees = c.header === undefined || c.header === 'auto' || c.header === c.names;
  const nameUsable = !(labelAt !== null && c.label.byName && !c.names);
  const known =
    clean && delimiterSafe && headerAgrees && nameUsable && !c.text && c.ops.length === 0 && !c.options && c.rowCount > 0 && c.delimiter.trim() === c.delimiter && c.delimiter !== '';

  const whole = expectClean(await attempt(() => api.readCsv(source, options)), 'readCsv(buffer)');
  if (whole.ok) {
    const d = whole.value;
    if (typeName(d.x) !== 'Float32Array' || d.x.length !== d.rows * d.inputSize || !d.x.every(Number.isFinite)) fail('readCsv: x is not rows × inputSize finite float32 values');
    if (d.labels !== null && (typeName(d.labels) !== 'Int32Array' || d.labels.length !== d.rows || d.labels.some((l) => l < 0 || l >= d.classes))) fail('readCsv: labels disagree with rows or classes');
  }
  if (known) {
    if (!whole.ok) fail(`readCsv refused an undamaged file: ${whole.error.message}\n${JSON.stringify(text)} ${JSON.stringify(options)}`);
    const d = whole.value;
    if (d.inputSize !== c.cols || d.rows !== c.rowCount) fail(`readCsv read ${d.rows} × ${d.inputSize}, wrote ${c.rowCount} × ${c.cols}`);
    if (!sameBytes(d.x, Float32Array.from(expectedX))) fail(`readCsv values differ from the written ones: ${JSON.stringify(text)}`);
    if (labelAt !== null && !sameBytes(d.labels, Int32Array.from(expectedLabels))) fail('readCsv labels differ from the written ones');
  }
  const streamed = expectClean(await attempt(() => take(api.streamCsv(source, { ...options, rows: c.rows }))), 'streamCsv(buffer)');
  // The two take different option sets (rows): with a fuzzed option only one may refuse it.
  const sameOptions = !(c.options && (c.options.key === 'rows' || c.options.key === 'extra'));
  if (!sameOptions) {
    // nothing to compare
  } else if (streamed.ok && !streamed.value.capped) {
    const items = streamed.value.items;
    if (items.some((b) => b.rows < 1 || b.rows > c.rows || b.x.length !== b.rows * b.inputSize || (b.labels && b.labels.length !== b.rows))) fail('streamCsv: a batch disagrees with its own row count');
    if (!whole.ok) {
      // readCsv also builds a Dataset, which refuses labels past its class limit; nothing else may differ.
      if (!(whole.error.code === 'ERR_OUT_OF_RANGE' && /^labels/.test(whole.error.message))) fail(`streamCsv accepted what readCsv refused: ${whole.error.message}`);
    } else {
      const d = whole.value;
      if (!sameBytes(concatTyped(items.map((b) => b.x), Float32Array), d.x)) fail('streamCsv batches hold other values than readCsv');
      if (d.labels && !sameBytes(concatTyped(items.map((b) => b.labels), Int32Array), d.labels)) fail('streamCsv labels differ from readCsv');
    }
  } else if (!streamed.ok && whole.ok) {
    fail(`streamCsv refused what readCsv accepted: ${streamed.error.message}`);
  }
  if (c.viaFile) {
    const file = tempFile(ctx, 'f.csv', source);
    try {
      const fromFile = expectClean(await attempt(() => api.readCsv(file, options)), 'readCsv(file)', { system: true });
      if (fromFile.ok !== whole.ok) fail(`readCsv(file) ${fromFile.ok ? 'accepted' : 'refused'} what readCsv(buffer) ${whole.ok ? 'accepted' : 'refused'}`);
      if (fromFile.ok && !sameBytes(fromFile.value.x, whole.value.x)) fail('readCsv(file) and readCsv(buffer) differ');
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
  return whole.ok ? (known ? 'read (values checked)' : 'read') : 'refused';
}

module.exports = function dataTargets(fc, api, ctx) {
  return [
    { name: 'idx', weight: 3, arbitrary: idxCaseArbitrary(fc), run: (c) => runIdx(api, ctx, c) },
    { name: 'npy', weight: 3, arbitrary: npyCaseArbitrary(fc), run: (c) => runNpy(api, ctx, c) },
    { name: 'csv', weight: 3, arbitrary: csvCaseArbitrary(fc), run: (c) => runCsv(api, ctx, c) },
  ];
};
module.exports.checkTensor = checkTensor;

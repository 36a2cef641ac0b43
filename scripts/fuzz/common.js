'use strict';
/**
 * Shared pieces of the fuzz targets: the oracle that tells a clean (package) error from a crash,
 * byte-level mutations, interesting values, and small helpers. Plain CommonJS so that both
 * test/fuzz.test.ts (through ts-jest, against lib/) and scripts/fuzz.js (against dist/) use it.
 */
const { prng } = require('./prng');

/** A property violation found by a target (as opposed to an error the package threw cleanly). */
class FuzzFailure extends Error {
  constructor(message, cause) {
    super(message);
    this.name = 'FuzzFailure';
    if (cause !== undefined) this.cause = cause;
  }
}

const ARG_CODES = new Set(['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE']);
/** Codes that mean a bug even though they carry the package's prefix. */
const BUG_CODES = new Set(['ERR_INDEE_INTERNAL', 'ERR_INDEE_OUT_OF_MEMORY']);

function isErrorLike(e) {
  return e !== null && typeof e === 'object' && typeof e.message === 'string';
}

/**
 * Whether `e` is one of the package's own errors: a TypeError / RangeError with Node's argument
 * codes and a message in the package's style, or an Error with an ERR_INDEE_* code (not the ones
 * that signal a bug). `system` also admits Node's file-system errors (ENOENT, EISDIR, ...), for
 * calls whose argument is a path. Node's internal errors share the argument codes
 * (`The value of "offset" is out of range`), so their message style is refused.
 */
function isPackageError(e, { system = false } = {}) {
  if (!isErrorLike(e)) return false;
  const code = e.code;
  if (typeof code !== 'string') return false;
  if (ARG_CODES.has(code)) {
    if (e.name !== 'TypeError' && e.name !== 'RangeError') return false;
    return !/^The (value of |argument )?["']/.test(e.message) && !/^(Offset|Attempt to access memory) /.test(e.message);
  }
  if (BUG_CODES.has(code)) return false;
  if (code.startsWith('ERR_INDEE_')) return true;
  return system && /^E[A-Z]+$/.test(code);
}

function describeError(e) {
  if (!isErrorLike(e)) return `a thrown non-error: ${String(e)}`;
  return `${e.name}${e.code ? ` [${e.code}]` : ''}: ${e.message}${e.stack ? `\n${e.stack.split('\n').slice(1, 8).join('\n')}` : ''}`;
}

/** Runs `fn`, returning { ok, value } or { ok: false, error }. */
async function attempt(fn) {
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Throws a FuzzFailure unless the outcome is a success or a package error. */
function expectClean(outcome, what, options) {
  if (!outcome.ok && !isPackageError(outcome.error, options))
    throw new FuzzFailure(`${what}: not a package error: ${describeError(outcome.error)}`, outcome.error);
  return outcome;
}

function fail(message) {
  throw new FuzzFailure(message);
}


function randomBytes(seed, length) {
  const next = prng(seed);
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; ++i) out[i] = Math.floor(next() * 256);
  return out;
}

const SPECIAL_U32 = [0, 1, 2, 3, 7, 255, 256, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const SPECIAL_U64 = [0n, 1n, 2n, 7n, 8n, 64n, 0xffffn, 0xffffffffn, 1n << 32n, 1n << 40n, (1n << 53n) - 1n, 1n << 53n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n];

/** Byte-level mutation operations, applied in order by {@link mutate}. Positions are taken modulo the length. */
function mutationArbitrary(fc) {
  const pos = fc.oneof(fc.nat(96), fc.nat());
  return fc.oneof(
    fc.record({ op: fc.constant('flip'), at: pos, bit: fc.nat(7) }),
    fc.record({ op: fc.constant('set'), at: pos, byte: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80, 0x22, 0x2c, 0x0a), fc.nat(255)) }),
    fc.record({ op: fc.constant('truncate'), at: pos }),
    fc.record({ op: fc.constant('extend'), bytes: fc.uint8Array({ maxLength: 24 }) }),
    fc.record({ op: fc.constant('insert'), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
    fc.record({ op: fc.constant('delete'), at: pos, length: fc.integer({ min: 1, max: 16 }) }),
    fc.record({ op: fc.constant('u32'), at: pos, value: fc.oneof(fc.constantFrom(...SPECIAL_U32), fc.nat()), big: fc.boolean() }),
    fc.record({ op: fc.constant('u64'), at: pos, value: fc.oneof(fc.constantFrom(...SPECIAL_U64), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })) }),
    fc.record({ op: fc.constant('duplicate'), at: pos, length: fc.integer({ min: 1, max: 32 }) }),
  );
}

function mutate(input, ops) {
  let b = Buffer.from(input);
  for (const m of ops) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (b.length > 0) b[at % b.length] ^= 1 << m.bit;
        break;
      case 'set':
        if (b.length > 0) b[at % b.length] = m.byte;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'extend':
        b = Buffer.concat([b, m.bytes]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'u32':
        if (b.length >= 4) {
          const p = Math.min(at, b.length - 4);
          if (m.big) b.writeUInt32BE(m.value >>> 0, p);
          else b.writeUInt32LE(m.value >>> 0, p);
        }
        break;
      case 'u64':
        if (b.length >= 8) b.writeBigUInt64LE(m.value, Math.min(at, b.length - 8));
        break;
      case 'duplicate':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + m.length), b.subarray(at)]);
        break;
      default:
        throw new Error(`unknown mutation ${m.op}`);
    }
  }
  return Buffer.from(b);
}

/** `arbitrary`'s values with probability 1/oneIn, else `nil` (fc.option's freq is the odds of a value, not of nil). */
function sometimes(fc, arbitrary, oneIn, nil = null) { // (an explicit undefined nil becomes null: use fc.oneof for that)
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(nil) }, { weight: 1, arbitrary });
}

/** Values no argument should take, plus a few it might. */
function weirdValue(fc) {
  return fc.oneof(
    fc.constantFrom(
      undefined, null, true, false, 0, -0, -1, 1, 1.5, -1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e308, -1e308, 5e-324,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, '', '1', 'abc', '__proto__', 10n, -1n,
    ),
    fc.constant(Symbol('fuzz')),
    fc.constant(() => 1),
    fc.constant([]),
    fc.constant([1, 2]),
    fc.constant({}),
    fc.constant(Object.create(null)),
    fc.constant(new Date(0)),
    fc.constant(new Map()),
    fc.constant(new Float64Array(4)),
    fc.constant(new Int32Array(2)),
    fc.constant(Buffer.from('xx')),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 8 }),
  );
}

/** Concatenates typed arrays of one kind. */
function concatTyped(parts, Type) {
  const total = parts.reduce((a, p) => a + p.length, 0);
  const out = new Type(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function sameBytes(a, b) {
  const x = Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  const y = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  return x.equals(y);
}

/** Reads at most `cap` items of an async iterable (the rest is left unread, the iterator returned). */
async function take(iterable, cap = 4096) {
  const items = [];
  let capped = false;
  for await (const item of iterable) {
    items.push(item);
    if (items.length >= cap) {
      capped = true;
      break;
    }
  }
  return { items, capped };
}

/** Product of a shape as a BigInt (exact, no overflow). */
function shapeProduct(shape) {
  return shape.reduce((a, b) => a * BigInt(b), 1n);
}

function typeName(value) {
  return value === null || value === undefined ? String(value) : Object.prototype.toString.call(value).slice(8, -1);
}

module.exports = {
  FuzzFailure,
  isPackageError,
  describeError,
  attempt,
  expectClean,
  fail,
  randomBytes,
  mutationArbitrary,
  mutate,
  weirdValue,
  sometimes,
  concatTyped,
  sameBytes,
  take,
  shapeProduct,
  typeName,
  SPECIAL_U32,
};

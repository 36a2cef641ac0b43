/**
 * The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * header length, a JSON header mapping tensor names to {dtype, shape, data_offsets} plus an
 * optional `__metadata__` string map, then the raw little-endian bytes of every tensor. This file
 * knows the container only, not the model: {@link encodeSafetensors} lays tensors out and
 * {@link parseHeader} checks a header against the bytes that follow it before anything trusts it.
 */
import { formatError } from '../errors';

/** The dtypes this package writes and reads, with their element sizes. */
export const DTYPE_BYTES = { F32: 4, F64: 8, I64: 8 } as const;
export type Dtype = keyof typeof DTYPE_BYTES;

/** A tensor to write: its dtype, shape and row-major little-endian bytes. */
export interface TensorBytes {
  dtype: Dtype;
  shape: readonly number[];
  bytes: Uint8Array;
}

/** One tensor's entry in a parsed header: where its bytes lie within the data section. */
export interface TensorEntry {
  dtype: Dtype;
  shape: number[];
  begin: number;
  end: number;
}

export interface Header {
  metadata: Record<string, string>;
  tensors: Map<string, TensorEntry>;
  /** Bytes before the data section: 8 + the header length. */
  dataStart: number;
}

/** Headers longer than this are refused before being read (the limit of the reference implementation). */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * The whole file for `tensors` in the order given. The header is padded with spaces to a multiple
 * of 8 bytes so that every tensor starts aligned when the larger dtypes come first.
 */
export function encodeSafetensors(metadata: Record<string, string>, tensors: ReadonlyMap<string, TensorBytes>): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors.values()) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

/**
 * The header length stored in the first 8 bytes, checked against the limit and the total size
 * before the header itself is read.
 */
export function headerLength(source: string, prefix: Uint8Array, totalSize: number): number {
  if (totalSize < 8 || prefix.byteLength < 8) throw formatError(source, `is ${totalSize} bytes long; a safetensors file starts with an 8-byte header length`);
  const length = Buffer.from(prefix.buffer, prefix.byteOffset, 8).readBigUInt64LE(0);
  if (length < 2n || length > BigInt(Math.min(MAX_HEADER_BYTES, totalSize - 8)))
    throw formatError(source, `header length ${length} is outside [2, ${Math.min(MAX_HEADER_BYTES, totalSize - 8)}] (the file holds ${totalSize} bytes)`);
  return Number(length);
}

/**
 * Parses and checks the JSON header (`headerBytes`, its length from {@link headerLength}) of a
 * file of `totalSize` bytes: every entry has a known dtype, a shape of safe non-negative integers
 * whose byte size equals its offsets' span, and the tensors tile the data section exactly (no
 * overlap, no gap, nothing past the end), as the format requires.
 */
export function parseHeader(source: string, headerBytes: Uint8Array, totalSize: number): Header {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (cause) {
    throw formatError(source, `the header is not valid UTF-8 JSON (${(cause as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw formatError(source, 'the header is not a JSON object');
  const dataStart = 8 + headerBytes.byteLength;
  const dataSize = totalSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = metadataOf(source, value);
    else tensors.set(name, entryOf(source, name, value));
  }
  const spans = [...tensors.entries()].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let covered = 0;
  for (const [name, t] of spans) {
    if (t.begin !== covered)
      throw formatError(source, `tensor '${name}' starts at byte ${t.begin} of the data section, expected ${covered} (tensors must tile the data without gaps or overlap)`);
    covered = t.end;
  }
  if (covered !== dataSize)
    throw formatError(source, `the tensors cover ${covered} bytes but the data section holds ${dataSize} (the file is truncated or has trailing bytes)`);
  return { metadata, tensors, dataStart };
}

function metadataOf(source: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw formatError(source, '__metadata__ is not an object');
  for (const [key, v] of Object.entries(value)) if (typeof v !== 'string') throw formatError(source, `__metadata__.${key} is not a string`);
  return value as Record<string, string>;
}

function entryOf(source: string, name: string, value: unknown): TensorEntry {
  const bad = (problem: string) => formatError(source, `tensor '${name}': ${problem}`);
  if (typeof value !== 'object' || value === null) throw bad('its entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) throw bad(`dtype ${JSON.stringify(dtype)} is not one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad('shape is not a list of non-negative integers');
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1])
    throw bad('data_offsets is not a pair [begin, end] of integers with begin <= end');
  const elements = shape.reduce((a: number, b: number) => a * b, 1);
  const bytes = elements * DTYPE_BYTES[dtype as Dtype];
  if (!Number.isSafeInteger(bytes) || bytes !== offsets[1] - offsets[0])
    throw bad(`shape [${shape.join(', ')}] of ${dtype} needs ${bytes} bytes but data_offsets span ${offsets[1] - offsets[0]}`);
  return { dtype: dtype as Dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

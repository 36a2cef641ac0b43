/**
 * Shared byte reading for the data readers: a file path or an in-memory buffer, gzip-compressed or
 * not, read as a pull stream; and the one mechanism that turns "a header, then a C-order array"
 * into tensors, used by both the IDX and the NPY readers (they differ only in their headers).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { pipeline, Readable } from 'node:stream';
import * as zlib from 'node:zlib';

import { formatError, typeError } from '../errors';
import * as check from '../validate';

/** Where data comes from: a file path, or the bytes themselves (named 'buffer' in error messages). */
export type Source = string | Uint8Array;

/**
 * Element types a {@link Tensor} can hold. int64 exists for NumPy's default integer type (labels
 * saved with `np.save` are `<i8`); IDX has no 64-bit type.
 */
export type Dtype = 'uint8' | 'int8' | 'int16' | 'int32' | 'int64' | 'float32' | 'float64';

/** The typed arrays behind the {@link Dtype}s, in the same order; int64 elements are bigints. */
export type TensorData = Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array | Float64Array;

/** An n-dimensional array in C (row-major) order; `data` is in the platform's byte order. */
export interface Tensor {
  dtype: Dtype;
  /** Lengths of the axes, outermost first; `[]` for a 0-d (scalar) array. */
  shape: number[];
  /** The product of `shape` elements. */
  data: TensorData;
}

/** Options of the streaming readers. */
export interface StreamOptions {
  /** The most first-axis rows per yielded batch, an integer ≥ 1. */
  rows: number;
}

/** The typed array constructor of each dtype. */
export const ARRAY_TYPES = {
  uint8: Uint8Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

/**
 * The most elements one array file may declare. Headers are checked against it before anything is
 * allocated, because a gzip stream's true length is only known once it has been decompressed.
 */
export const MAX_ELEMENTS = 2 ** 32;

const CHUNK_BYTES = 1 << 20;
const EMPTY = Buffer.alloc(0);
const HOST_LITTLE_ENDIAN = os.endianness() === 'LE';

/** Throws unless `value` is a {@link Source}; run before any await so that bad calls fail at once. */
export function checkSource(value: unknown, name = 'source'): Source {
  // A NUL byte would otherwise reach fs.open, whose own error is not one of this package's.
  if (typeof value === 'string' && value.includes('\0')) throw typeError(name, 'a file path without NUL bytes, or a Uint8Array', value);
  if (typeof value === 'string' || value instanceof Uint8Array) return value;
  throw typeError(name, 'a file path or a Uint8Array', value);
}

/**
 * Sequential reads from a source, decompressed on the fly when it starts with the gzip magic bytes
 * (1f 8b). Nothing is read ahead beyond the current chunk, so a caller can check a header before it
 * asks for (and allocates) the body.
 */
export class ByteReader {
  #pending: Buffer = EMPTY;
  #ended = false;
  #remaining: number | null;
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #stream: Readable | null;

  /** Use {@link openSource}. */
  constructor(
    /** The file path, or 'buffer': the first word of every format error. */
    readonly name: string,
    /** Whether the bytes are being decompressed. */
    readonly gzip: boolean,
    size: number | null,
    chunks: Readable | Iterable<Buffer>,
  ) {
    this.#remaining = size;
    this.#stream = chunks instanceof Readable ? chunks : null;
    this.#chunks = mapZlibErrors(name, chunks)[Symbol.asyncIterator]();
  }

  /** Bytes not yet read, where known without reading (plain files and buffers); null for gzip. */
  get remaining(): number | null {
    return this.#remaining;
  }

  /**
   * The next `n` bytes, fewer only where the source ends first, in a fresh Uint8Array at offset 0
   * (so typed views of any element size are aligned). Where the length is known, the result is
   * allocated once; otherwise only bytes that actually arrived are held.
   */
  async read(n: number): Promise<Uint8Array<ArrayBuffer>> {
    const want = this.#remaining === null ? n : Math.min(n, this.#remaining);
    const out = this.#remaining === null ? null : new Uint8Array(want);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < want && (await this.#fill())) {
      const part = this.#pending.subarray(0, want - got);
      this.#pending = this.#pending.subarray(part.length);
      if (out) out.set(part, got);
      else parts.push(part);
      got += part.length;
    }
    if (this.#remaining !== null) this.#remaining -= got;
    if (out) return got === want ? out : out.subarray(0, got);
    const joined = new Uint8Array(got);
    let at = 0;
    for (const part of parts) {
      joined.set(part, at);
      at += part.length;
    }
    return joined;
  }

  /** Whether no byte is left (reads at most one chunk ahead to find out). */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }

  /** The unread bytes chunk by chunk, for readers that parse text (CSV through node:readline). */
  async *chunks(): AsyncGenerator<Buffer> {
    while (await this.#fill()) {
      const chunk = this.#pending;
      this.#pending = EMPTY;
      if (this.#remaining !== null) this.#remaining -= chunk.length;
      yield chunk;
    }
  }

  /** Stops reading and releases the file; safe to call twice. */
  async close(): Promise<void> {
    this.#pending = EMPTY;
    if (this.#ended) return;
    this.#ended = true;
    // Destroy the stream itself too: returning a generator that never started would not reach it.
    this.#stream?.destroy();
    await this.#chunks.return?.();
  }

  async #fill(): Promise<boolean> {
    while (this.#pending.length === 0 && !this.#ended) {
      const next = await this.#chunks.next();
      if (next.done) this.#ended = true;
      else this.#pending = next.value;
    }
    return this.#pending.length > 0;
  }
}

/** zlib reports a damaged stream with a `Z_...` code; give it the package's format code and the source's name. */
async function* mapZlibErrors(name: string, chunks: AsyncIterable<Buffer> | Iterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('Z_'))
      throw Object.assign(formatError(name, `corrupt gzip stream (${(error as Error).message})`), { cause: error });
    throw error;
  }
}

function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

function gunzip(raw: Readable): Readable {
  // pipeline, not pipe: a read error of the file then also ends the decompressed stream.
  return pipeline(raw, zlib.createGunzip(), () => {});
}

/** Opens a file or wraps a buffer, detecting gzip by its first two bytes. Node's own errors (ENOENT) pass through. */
export async function openSource(source: Source): Promise<ByteReader> {
  if (typeof source !== 'string') {
    const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    if (isGzip(bytes)) return new ByteReader('buffer', true, null, gunzip(Readable.from([bytes])));
    return new ByteReader('buffer', false, bytes.length, [bytes]);
  }
  const handle = await fs.promises.open(source, 'r');
  let head: Uint8Array, size: number;
  try {
    size = (await handle.stat()).size;
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    head = buffer.subarray(0, bytesRead);
  } catch (error) {
    await handle.close();
    throw error;
  }
  const raw = handle.createReadStream({ start: 0, highWaterMark: CHUNK_BYTES });
  if (isGzip(head)) return new ByteReader(source, true, null, gunzip(raw));
  return new ByteReader(source, false, size, raw);
}

/** What an array file's header says about the array that follows it. */
export interface ArrayHeader {
  dtype: Dtype;
  shape: number[];
  /** Byte order of the stored elements. */
  littleEndian: boolean;
}

/** Reads a header from the start of a reader, leaving the reader at the first data byte. */
export type HeaderParser = (reader: ByteReader) => Promise<ArrayHeader>;

function shapeText(header: ArrayHeader): string {
  return `shape [${header.shape.join(', ')}] of ${header.dtype}`;
}

/** Data layout of a checked header: the sizes the body reader needs. */
interface Layout {
  header: ArrayHeader;
  rowElements: number;
  /** Elements of the whole array. */
  total: number;
  totalBytes: number;
}

/** The exact product of dimensions (as a bigint: a float product can overflow to Infinity, and Infinity × 0 is NaN). */
function product(dims: readonly number[]): bigint {
  return dims.reduce((a, b) => a * BigInt(b), 1n);
}

/**
 * Checks a header against the element limit and, where the byte count is known, against the bytes
 * that follow it: before any allocation, so a lying header costs nothing.
 */
function layout(reader: ByteReader, header: ArrayHeader): Layout {
  const limit = BigInt(MAX_ELEMENTS);
  const rows = product(header.shape.slice(1));
  const all = product(header.shape);
  // A zero-length first axis makes the total 0 whatever the other axes say, so rows are checked too.
  if (rows > limit || all > limit)
    throw formatError(reader.name, `absurd header: ${shapeText(header)} has ${all > rows ? all : rows} elements${all < rows ? ' per row' : ''}, over the limit of 2^32`);
  // A zero-length axis anywhere must not hide absurd other axes either (streaming such an array would
  // yield an endless run of empty batches): the axes other than the zero-length ones are bounded too.
  const extent = product(header.shape.map((n) => n || 1));
  if (extent > limit)
    throw formatError(reader.name, `absurd header: ${shapeText(header)} is empty, but its other axes multiply to ${extent}, over the limit of 2^32`);
  const rowElements = Number(rows);
  const total = Number(all);
  const totalBytes = total * ARRAY_TYPES[header.dtype].BYTES_PER_ELEMENT;
  const left = reader.remaining;
  if (left !== null && left < totalBytes)
    throw formatError(reader.name, `truncated: the header declares ${shapeText(header)} (${totalBytes} data bytes) but only ${left} bytes follow it`);
  if (left !== null && left > totalBytes)
    throw formatError(reader.name, `${left - totalBytes} trailing bytes after the ${totalBytes} data bytes of ${shapeText(header)}`);
  return { header, rowElements, total, totalBytes };
}

/** Reads `count` elements starting `doneBytes` into the body, converting them to the platform's byte order in place. */
async function readElements(reader: ByteReader, { header, totalBytes }: Layout, count: number, doneBytes: number): Promise<TensorData> {
  const ArrayType = ARRAY_TYPES[header.dtype];
  const size = ArrayType.BYTES_PER_ELEMENT;
  const bytes = await reader.read(count * size);
  if (bytes.length < count * size)
    throw formatError(reader.name, `truncated: the data of ${shapeText(header)} ends after ${doneBytes + bytes.length} of ${totalBytes} bytes`);
  if (size > 1 && header.littleEndian !== HOST_LITTLE_ENDIAN) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (size === 2) view.swap16();
    else if (size === 4) view.swap32();
    else view.swap64();
  }
  return new ArrayType(bytes.buffer, bytes.byteOffset, count);
}

async function expectEnd(reader: ByteReader, { header, totalBytes }: Layout): Promise<void> {
  if (!(await reader.atEnd())) throw formatError(reader.name, `trailing bytes after the ${totalBytes} data bytes of ${shapeText(header)}`);
}

/** Reads a whole array file: header, body, and a check that nothing follows. */
export async function readArrayFile(source: Source, parseHeader: HeaderParser): Promise<Tensor> {
  const reader = await openSource(checkSource(source));
  try {
    const plan = layout(reader, await parseHeader(reader));
    const data = await readElements(reader, plan, plan.total, 0);
    await expectEnd(reader, plan);
    return { dtype: plan.header.dtype, shape: [...plan.header.shape], data };
  } finally {
    await reader.close();
  }
}

/**
 * Reads an array file as batches of up to `rows` first-axis rows; holds one batch at a time. The
 * arguments are checked at the call; file errors surface from the iteration.
 */
export function streamArrayFile(source: Source, options: StreamOptions, parseHeader: HeaderParser): AsyncIterable<Tensor> {
  checkSource(source);
  const o = check.options(options, 'options', ['rows'] as const);
  const rows = check.integer(o.rows, 'options.rows', 1, MAX_ELEMENTS);
  return (async function* () {
    const reader = await openSource(source);
    try {
      const plan = layout(reader, await parseHeader(reader));
      const { dtype, shape } = plan.header;
      if (shape.length === 0) throw formatError(reader.name, 'a 0-d array has no rows to stream; read it whole');
      const rowBytes = plan.rowElements * ARRAY_TYPES[dtype].BYTES_PER_ELEMENT;
      for (let start = 0; start < shape[0]; start += rows) {
        const count = Math.min(rows, shape[0] - start);
        const data = await readElements(reader, plan, count * plan.rowElements, start * rowBytes);
        yield { dtype, shape: [count, ...shape.slice(1)], data };
      }
      await expectEnd(reader, plan);
    } finally {
      await reader.close();
    }
  })();
}

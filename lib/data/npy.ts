/**
 * NumPy's .npy format, versions 1.0, 2.0 and 3.0: magic `\x93NUMPY`, two version bytes, the header
 * length (uint16 LE in v1, uint32 LE in v2/v3), a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (70000, 784), }` padded with spaces, then the
 * data. Big-endian files (`>f4`, `>f8`, ...) are converted to the platform's order, not rejected.
 */
import { formatError } from '../errors';
import { readArrayFile, streamArrayFile, type ArrayHeader, type ByteReader, type Dtype, type Source, type StreamOptions, type Tensor } from './source';

/** Headers longer than this are refused before they are read; NumPy's own reader stops at 10,000 bytes. */
export const MAX_NPY_HEADER = 64 * 1024;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const NPY_TYPES: Record<string, Dtype> = { f4: 'float32', f8: 'float64', u1: 'uint8', i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64' };

/** The deepest nesting of tuples and lists the header parser accepts. */
const MAX_DEPTH = 8;

/** A value of the header dict: a string, a bool, an integer, or a tuple / list of values. */
type PyValue = string | boolean | number | PyValue[];

/**
 * A strict parser for the dict literal NumPy writes: never `eval`, only strings without escapes,
 * True/False, non-negative integers (with Python 2's `L` suffix) and tuples or lists of these.
 */
function parseDict(text: string, fail: (problem: string) => Error): Map<string, PyValue> {
  let at = 0;
  const space = () => {
    while (at < text.length && ' \t\r\n'.includes(text[at])) ++at;
  };
  const expect = (c: string) => {
    space();
    if (text[at] !== c) throw fail(`expected '${c}' at character ${at}, found ${at < text.length ? `'${text[at]}'` : 'the end'}`);
    ++at;
  };
  const sequence = <T>(close: string, item: () => T): T[] => {
    const items: T[] = [];
    for (space(); text[at] !== close; space()) {
      items.push(item());
      space();
      if (text[at] !== close) expect(',');
    }
    ++at;
    return items;
  };
  const word = /(?:(True|False)|(\d+)L?)/y;
  // NumPy's headers nest two levels at most ((shape), [(field, type)]): deeper nesting is refused
  // before it can exhaust the stack (a 64 KiB header holds 65,536 opening brackets).
  let depth = 0;
  const value = (): PyValue => {
    space();
    const c = text[at];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, at + 1);
      if (end < 0) throw fail(`unterminated string at character ${at}`);
      const s = text.slice(at + 1, end);
      if (s.includes('\\')) throw fail(`escapes in strings are not supported (character ${at})`);
      at = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      if (depth === MAX_DEPTH) throw fail(`values nested deeper than ${MAX_DEPTH} levels (character ${at})`);
      ++at;
      ++depth;
      const items = sequence(c === '(' ? ')' : ']', value);
      --depth;
      return items;
    }
    word.lastIndex = at;
    const found = word.exec(text);
    if (!found) throw fail(`unexpected ${c === undefined ? 'end' : `'${c}'`} at character ${at}`);
    at = word.lastIndex;
    return found[1] === undefined ? Number(found[2]) : found[1] === 'True';
  };

  expect('{');
  const dict = new Map<string, PyValue>();
  sequence('}', () => {
    const key = value();
    if (typeof key !== 'string') throw fail(`a key must be a string; got ${JSON.stringify(key)}`);
    if (dict.has(key)) throw fail(`duplicate key '${key}'`);
    expect(':');
    dict.set(key, value());
  });
  space();
  if (at < text.length) throw fail(`unexpected text after the dict at character ${at}`);
  return dict;
}

function headerFields(text: string, name: string): ArrayHeader {
  const fail = (problem: string) => formatError(name, `malformed .npy header: ${problem}`);
  const dict = parseDict(text, fail);
  const keys = [...dict.keys()].sort().join(', ');
  if (keys !== 'descr, fortran_order, shape') throw fail(`the keys must be exactly descr, fortran_order, shape; got ${keys || 'none'}`);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof fortran !== 'boolean') throw fail(`fortran_order must be True or False; got ${JSON.stringify(fortran)}`);
  if (!Array.isArray(shape) || !shape.every((n): n is number => typeof n === 'number' && Number.isSafeInteger(n)))
    throw fail(`shape must be a tuple of integers; got ${JSON.stringify(shape)}`);
  if (typeof descr !== 'string') throw formatError(name, `unsupported dtype ${JSON.stringify(descr)}: structured dtypes are not supported`);
  // One-byte types carry no byte order ('|'); wider ones must say it ('<' or '>').
  const match = /^([<>|])([a-z]\d+)$/.exec(descr);
  const dtype = match ? NPY_TYPES[match[2]] : undefined;
  if (!match || !dtype || (match[1] === '|' && !['u1', 'i1'].includes(match[2]))) {
    // uint64 would need a second bigint dtype for what are, in practice, labels that int64 holds as well.
    const hint = match?.[2] === 'u8' ? '; for uint64 data save a.astype(np.int64)' : '';
    throw formatError(name, `unsupported dtype '${descr}' (supported: <f4, <f8, |u1, |i1, <i2, <i4, <i8, and their big-endian '>' forms)${hint}`);
  }
  if (fortran) throw formatError(name, 'fortran_order is True: only C-order arrays are supported (save np.ascontiguousarray(a))');
  return { dtype, shape, littleEndian: match[1] !== '>' };
}

async function parseNpyHeader(reader: ByteReader): Promise<ArrayHeader> {
  const { name } = reader;
  const preamble = await reader.read(8);
  if (preamble.length < 8 || MAGIC.some((b, i) => preamble[i] !== b)) throw formatError(name, 'wrong magic: not a .npy file (it must start with \\x93NUMPY)');
  const [major, minor] = [preamble[6], preamble[7]];
  if (![1, 2, 3].includes(major) || minor !== 0) throw formatError(name, `unsupported .npy version ${major}.${minor} (supported: 1.0, 2.0, 3.0)`);
  const lengthBytes = await reader.read(major === 1 ? 2 : 4);
  if (lengthBytes.length < (major === 1 ? 2 : 4)) throw formatError(name, 'truncated .npy header: the file ends in the header length');
  const view = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, lengthBytes.byteLength);
  const length = major === 1 ? view.getUint16(0, true) : view.getUint32(0, true);
  if (length > MAX_NPY_HEADER) throw formatError(name, `header length ${length} is over the limit of ${MAX_NPY_HEADER} bytes`);
  if (reader.remaining !== null && length > reader.remaining)
    throw formatError(name, `header length ${length} is larger than the rest of the file (${reader.remaining} bytes)`);
  const header = await reader.read(length);
  if (header.length < length) throw formatError(name, `truncated .npy header: ${header.length} of ${length} bytes`);
  // Versions 1 and 2 store the header in latin1, version 3 in UTF-8.
  return headerFields(Buffer.from(header.buffer, header.byteOffset, header.length).toString(major === 3 ? 'utf8' : 'latin1'), name);
}

/**
 * Reads a whole .npy file (plain or gzip) into a tensor. Supported dtypes: float32 (`<f4`), float64
 * (`<f8`), uint8 (`|u1`), int8 (`|i1`), int16 (`<i2`), int32 (`<i4`), int64 (`<i8`, NumPy's default
 * integer type, read into a BigInt64Array); big-endian `>` forms are converted. Not uint64 (`<u8`).
 * Only C order.
 * @param source a file path, or the file's bytes.
 * @throws Error with `code: 'ERR_INDEE_FORMAT'`, naming the file ('buffer' for bytes), for a wrong
 * magic, an unsupported version or dtype, Fortran order, a malformed or oversized header, a length
 * that disagrees with the shape, or a corrupt gzip stream.
 */
export function readNpy(source: Source): Promise<Tensor> {
  return readArrayFile(source, parseNpyHeader);
}

/**
 * Reads a .npy file as batches of up to `options.rows` first-axis rows, holding only one batch at a
 * time. Batches concatenated equal {@link readNpy}'s data; a 0-d array cannot be streamed.
 * @throws TypeError / RangeError at the call for bad arguments; the errors of {@link readNpy} while iterating.
 */
export function streamNpy(source: Source, options: StreamOptions): AsyncIterable<Tensor> {
  return streamArrayFile(source, options, parseNpyHeader);
}

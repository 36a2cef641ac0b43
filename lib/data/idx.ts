/**
 * IDX, the format of the original MNIST files: two zero bytes, a dtype byte, a dimension count,
 * the dimensions as big-endian uint32, then the big-endian data in C order. Gzip is detected by
 * its magic bytes, so `train-images-idx3-ubyte.gz` reads as it is.
 */
import { formatError } from '../errors';
import { readArrayFile, streamArrayFile, type ArrayHeader, type ByteReader, type Dtype, type Source, type StreamOptions, type Tensor } from './source';

const IDX_DTYPES = new Map<number, Dtype>([
  [0x08, 'uint8'],
  [0x09, 'int8'],
  [0x0b, 'int16'],
  [0x0c, 'int32'],
  [0x0d, 'float32'],
  [0x0e, 'float64'],
]);

const hex = (byte: number) => `0x${byte.toString(16).padStart(2, '0')}`;

async function parseIdxHeader(reader: ByteReader): Promise<ArrayHeader> {
  const magic = await reader.read(4);
  if (magic.length < 4) throw formatError(reader.name, `truncated IDX header: ${magic.length} of the 4 magic bytes`);
  if (magic[0] !== 0 || magic[1] !== 0)
    throw formatError(reader.name, `wrong magic: not an IDX file (it must start with two zero bytes; got ${hex(magic[0])} ${hex(magic[1])})`);
  const dtype = IDX_DTYPES.get(magic[2]);
  if (dtype === undefined)
    throw formatError(reader.name, `unsupported IDX dtype byte ${hex(magic[2])} (known: ${[...IDX_DTYPES].map(([b, t]) => `${hex(b)} ${t}`).join(', ')})`);
  const rank = magic[3];
  if (rank === 0) throw formatError(reader.name, 'the IDX header declares zero dimensions');
  const dims = await reader.read(4 * rank);
  if (dims.length < 4 * rank) throw formatError(reader.name, `truncated IDX header: ${dims.length} of the ${4 * rank} dimension bytes`);
  const view = new DataView(dims.buffer, dims.byteOffset, dims.byteLength);
  const shape = Array.from({ length: rank }, (_, i) => view.getUint32(4 * i, false));
  return { dtype, shape, littleEndian: false };
}

/**
 * Reads a whole IDX file (plain or gzip) into a tensor.
 * @param source a file path, or the file's bytes.
 * @throws Error with `code: 'ERR_INDEE_FORMAT'`, naming the file ('buffer' for bytes), for a wrong
 * magic, an unknown dtype byte, zero or absurd dimensions, a length that disagrees with the
 * dimensions (truncated or trailing bytes) or a corrupt gzip stream.
 */
export function readIdx(source: Source): Promise<Tensor> {
  return readArrayFile(source, parseIdxHeader);
}

/**
 * Reads an IDX file as batches of up to `options.rows` first-axis rows (images, labels), holding
 * only one batch at a time. Batches concatenated equal {@link readIdx}'s data.
 * @throws TypeError / RangeError at the call for bad arguments; the errors of {@link readIdx} while iterating.
 */
export function streamIdx(source: Source, options: StreamOptions): AsyncIterable<Tensor> {
  return streamArrayFile(source, options, parseIdxHeader);
}

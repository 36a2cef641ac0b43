/**
 * A small PNG decoder for tests, written apart from lib/plot/png.ts so that the encoder is checked
 * against an independent reading of the format (and CRCs against zlib's own crc32). It accepts
 * only what the encoder should produce: 8-bit RGB, no interlace; anything else throws.
 */
import { crc32, inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** Three bytes per pixel, row-major from the top-left. */
  rgb: Uint8Array;
  /** Chunk types in file order. */
  chunks: string[];
  /** The filter type byte of each row, top to bottom. */
  filters: number[];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

export function decodePng(png: Uint8Array): DecodedPng {
  const buf = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  SIGNATURE.forEach((byte, i) => {
    if (buf[i] !== byte) throw new Error(`bad signature byte ${i}`);
  });
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let header: Buffer | undefined;
  let pos = 8;
  while (pos < buf.length) {
    if (pos + 12 > buf.length) throw new Error(`truncated chunk at ${pos}`);
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const end = pos + 8 + length;
    if (end + 4 > buf.length) throw new Error(`chunk ${type} runs past the end`);
    const stored = buf.readUInt32BE(end);
    const actual = crc32(buf.subarray(pos + 4, end));
    if (stored !== actual) throw new Error(`CRC mismatch in ${type}: stored ${stored}, computed ${actual}`);
    const data = buf.subarray(pos + 8, end);
    chunks.push(type);
    if (type === 'IHDR') header = data;
    else if (type === 'IDAT') idat.push(data);
    pos = end + 4;
    if (type === 'IEND') break;
  }
  if (pos !== buf.length) throw new Error('bytes after IEND');
  if (chunks[0] !== 'IHDR' || chunks[chunks.length - 1] !== 'IEND' || !header) throw new Error(`bad chunk order ${chunks.join(',')}`);
  const width = header.readUInt32BE(0);
  const height = header.readUInt32BE(4);
  const [depth, colorType, compression, filterMethod, interlace] = header.subarray(8, 13);
  if (depth !== 8 || colorType !== 2 || compression !== 0 || filterMethod !== 0 || interlace !== 0)
    throw new Error(`unsupported IHDR ${[depth, colorType, compression, filterMethod, interlace]}`);

  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 3;
  if (raw.length !== height * (stride + 1)) throw new Error(`image data is ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const rgb = new Uint8Array(height * stride);
  const filters: number[] = [];
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    filters.push(filter);
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const at = y * stride;
    for (let i = 0; i < stride; i++) {
      const a = i >= 3 ? rgb[at + i - 3] : 0;
      const b = y > 0 ? rgb[at - stride + i] : 0;
      const c = i >= 3 && y > 0 ? rgb[at - stride + i - 3] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = a; break;
        case 2: predictor = b; break;
        case 3: predictor = Math.floor((a + b) / 2); break;
        case 4: predictor = paeth(a, b, c); break;
        default: throw new Error(`row ${y} has unknown filter type ${filter}`);
      }
      rgb[at + i] = (line[i] + predictor) & 0xff;
    }
  }
  return { width, height, rgb, chunks, filters };
}

/** The [r, g, b] of pixel (x, y). */
export function pixel(image: DecodedPng, x: number, y: number): [number, number, number] {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) throw new Error(`pixel (${x}, ${y}) outside ${image.width}×${image.height}`);
  const i = (y * image.width + x) * 3;
  return [image.rgb[i], image.rgb[i + 1], image.rgb[i + 2]];
}

/**
 * An 8-bit RGB pixel buffer with the few drawing operations the plots need: rectangles, thick
 * lines, and bitmap text, horizontal or turned to read upwards. No anti-aliasing: every drawn
 * pixel takes exactly the given colour, which keeps output deterministic and easy to test.
 */
import * as check from '../validate';
import { GLYPH_ADVANCE, GLYPH_WIDTH, glyph, textHeight, textWidth } from './font';
import { encodePng } from './png';

/** A colour as red, green and blue in 0..255. */
export type Rgb = readonly [number, number, number];

/** An axis-aligned rectangle in pixels; `x`, `y` is its top-left pixel. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The page colour of every plot. */
export const WHITE: Rgb = [255, 255, 255];
/** The colour of text. */
export const BLACK: Rgb = [0, 0, 0];
/** The largest raster side: far beyond any plot, yet small enough that a typo fails fast. */
const MAX_SIDE = 65536;

/** A width × height RGB image, row by row from the top, with a clip rectangle all drawing obeys. */
export class Raster {
  readonly width: number;
  readonly height: number;
  /** Three bytes per pixel, row-major from the top-left corner. */
  readonly pixels: Uint8Array;
  private clipRect: Rect;

  /** A raster filled with `background`. */
  constructor(width: number, height: number, background: Rgb = WHITE) {
    check.integer(width, 'width', 1, MAX_SIDE);
    check.integer(height, 'height', 1, MAX_SIDE);
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height * 3);
    this.clipRect = { x: 0, y: 0, width, height };
    this.fillRect(0, 0, width, height, background);
  }

  /** Limits later drawing to `rect` (intersected with the raster), or lifts the limit with null. */
  setClip(rect: Rect | null): void {
    const r = rect ?? { x: 0, y: 0, width: this.width, height: this.height };
    const x0 = Math.max(0, r.x);
    const y0 = Math.max(0, r.y);
    const x1 = Math.min(this.width, r.x + r.width);
    const y1 = Math.min(this.height, r.y + r.height);
    this.clipRect = { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
  }

  /** The colour at (x, y); the caller keeps x and y inside the raster. */
  getPixel(x: number, y: number): Rgb {
    const i = (y * this.width + x) * 3;
    return [this.pixels[i], this.pixels[i + 1], this.pixels[i + 2]];
  }

  /** Colours pixel (x, y) if it lies inside the clip. */
  setPixel(x: number, y: number, color: Rgb): void {
    this.fillRect(x, y, 1, 1, color);
  }

  /** Fills the pixels x..x+width−1 × y..y+height−1 (rounded to whole pixels) that lie inside the clip. */
  fillRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    const c = this.clipRect;
    const x0 = Math.max(c.x, Math.round(x));
    const y0 = Math.max(c.y, Math.round(y));
    const x1 = Math.min(c.x + c.width, Math.round(x) + Math.round(width));
    const y1 = Math.min(c.y + c.height, Math.round(y) + Math.round(height));
    const [r, g, b] = color;
    for (let row = y0; row < y1; row++) {
      for (let i = (row * this.width + x0) * 3, end = (row * this.width + x1) * 3; i < end; i += 3) {
        this.pixels[i] = r;
        this.pixels[i + 1] = g;
        this.pixels[i + 2] = b;
      }
    }
  }

  /** The one-pixel outline of the rectangle x..x+width−1 × y..y+height−1. */
  strokeRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    this.fillRect(x, y, width, 1, color);
    this.fillRect(x, y + height - 1, width, 1, color);
    this.fillRect(x, y, 1, height, color);
    this.fillRect(x + width - 1, y, 1, height, color);
  }

  /**
   * A straight line from (x0, y0) to (x1, y1), drawn with Bresenham's algorithm as a square pen of
   * `thickness` pixels. Endpoints may be fractional or far outside the raster: the segment is
   * clipped first, so a wild data value costs no more than an ordinary one. Non-finite endpoints
   * draw nothing.
   */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const clipped = this.clipSegment(x0, y0, x1, y1, thickness);
    if (!clipped) return;
    let x = Math.round(clipped[0]);
    let y = Math.round(clipped[1]);
    const xEnd = Math.round(clipped[2]);
    const yEnd = Math.round(clipped[3]);
    // The pen's extra pixels go right/down for even thicknesses, so thickness 1 is a plain line.
    const offset = Math.floor((thickness - 1) / 2);
    const dx = Math.abs(xEnd - x);
    const dy = -Math.abs(yEnd - y);
    const sx = x < xEnd ? 1 : -1;
    const sy = y < yEnd ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.fillRect(x - offset, y - offset, thickness, thickness, color);
      if (x === xEnd && y === yEnd) break;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /**
   * Liang–Barsky clipping against the clip rectangle grown by the pen size (so thick lines that
   * start just outside still show their inner edge). Null when nothing of the segment is visible.
   */
  private clipSegment(x0: number, y0: number, x1: number, y1: number, margin: number): [number, number, number, number] | null {
    if (![x0, y0, x1, y1].every(Number.isFinite)) return null;
    const c = this.clipRect;
    const dx = x1 - x0;
    const dy = y1 - y0;
    let t0 = 0;
    let t1 = 1;
    // Each pair is (−direction, distance to an edge); see Liang & Barsky (1984).
    const edges: [number, number][] = [
      [-dx, x0 - (c.x - margin)],
      [dx, c.x + c.width - 1 + margin - x0],
      [-dy, y0 - (c.y - margin)],
      [dy, c.y + c.height - 1 + margin - y0],
    ];
    for (const [p, q] of edges) {
      if (p === 0) {
        if (q < 0) return null;
      } else {
        const t = q / p;
        if (p < 0) {
          if (t > t1) return null;
          if (t > t0) t0 = t;
        } else {
          if (t < t0) return null;
          if (t < t1) t1 = t;
        }
      }
    }
    return [x0 + t0 * dx, y0 + t0 * dy, x0 + t1 * dx, y0 + t1 * dy];
  }

  /** `text` with the top-left corner of its first glyph cell at (x, y), each font pixel scale × scale. */
  text(x: number, y: number, text: string, color: Rgb, scale = 1): void {
    this.eachTextPixel(text, (u, v) => this.fillRect(x + u * scale, y + v * scale, scale, scale, color));
  }

  /**
   * `text` turned 90° anticlockwise so it reads bottom to top, as a y-axis label does. (x, y) is
   * the top-left corner of the turned text's box, which is textHeight(scale) wide and
   * textWidth(text, scale) tall.
   */
  textUp(x: number, y: number, text: string, color: Rgb, scale = 1): void {
    const length = textWidth(text, 1);
    this.eachTextPixel(text, (u, v) => this.fillRect(x + v * scale, y + (length - 1 - u) * scale, scale, scale, color));
  }

  /** Calls `draw(u, v)` for every lit font pixel of `text`, u along the text and v down, at scale 1. */
  private eachTextPixel(text: string, draw: (u: number, v: number) => void): void {
    const rows = textHeight(1);
    let left = 0;
    for (const char of text) {
      const masks = glyph(char);
      for (let v = 0; v < rows; v++) {
        for (let col = 0; col < GLYPH_WIDTH; col++) if (masks[v] & (1 << (GLYPH_WIDTH - 1 - col))) draw(left + col, v);
      }
      left += GLYPH_ADVANCE;
    }
  }

  /** The raster as PNG bytes. */
  toPng(): Buffer {
    return encodePng(this.width, this.height, this.pixels);
  }
}

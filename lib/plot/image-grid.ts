/**
 * A PNG of small greyscale images laid out in a grid, each optionally captioned: sample inputs
 * beside their reconstructions. Values are drawn white-on-black as MNIST digits are (0 black,
 * 1 white).
 */
import { rangeError, typeError } from '../errors';
import * as check from '../validate';
import { fitText, textHeight, textWidth } from './font';
import { BLACK, Raster, type Rgb, WHITE } from './raster';

/** What imageGrid draws; `images`, `width`, `height` and `columns` are required. */
export interface ImageGridOptions {
  /** The images, each `width × height` values row by row, nominally in [0, 1]. */
  images: readonly Float32Array[];
  /** Width of every image in values. */
  width: number;
  /** Height of every image in values. */
  height: number;
  /** Images per grid row; the grid is never wider than the number of images. */
  columns: number;
  /** Screen pixels per image value along each side (default 3). */
  scale?: number;
  /** One caption per image, drawn under it (cut with '…' when wider than the image). */
  captions?: readonly string[];
  /** A line of text above the grid. */
  title?: string;
}

const KNOWN = ['images', 'width', 'height', 'columns', 'scale', 'captions', 'title'] as const;
/** Not grey, so a NaN (an upstream bug, not a dark pixel) is seen at a glance. */
export const NAN_COLOR: Rgb = [255, 0, 255];
/** A frame around each image, so that white images stay visible on the white page. */
const FRAME: Rgb = [160, 160, 160];
const MAX_SIDE = 8192;
const PAD = 4;
const TITLE_SCALE = 2;

/** The pixel geometry of a grid: where image `i` and its caption go. */
export interface GridLayout {
  width: number;
  height: number;
  columns: number;
  /** Top-left pixel of each image's cell, in image order. */
  cells: { x: number; y: number }[];
  /** Size in pixels of each drawn image (width × scale by height × scale). */
  imageWidth: number;
  imageHeight: number;
  /** Height of the caption band under each image (0 without captions). */
  captionHeight: number;
}

interface Checked {
  images: readonly Float32Array[];
  width: number;
  height: number;
  columns: number;
  scale: number;
  captions: readonly string[] | undefined;
  title: string;
}

function validate(options: unknown): Checked {
  if (options === undefined) throw typeError('options', 'an object', options);
  const o = check.options(options, 'options', KNOWN);
  const width = check.integer(o.width, 'options.width', 1, MAX_SIDE);
  const height = check.integer(o.height, 'options.height', 1, MAX_SIDE);
  if (!Array.isArray(o.images)) throw typeError('options.images', 'an array of Float32Array', o.images);
  if (o.images.length === 0) throw rangeError('options.images.length', 'at least 1', 0);
  o.images.forEach((image: unknown, i) => check.rows(image, `options.images[${i}]`, width, height, 'width × height'));
  const columns = check.integer(o.columns, 'options.columns', 1, MAX_SIDE);
  const scale = o.scale === undefined ? 3 : check.integer(o.scale, 'options.scale', 1, 64);
  let captions: string[] | undefined;
  if (o.captions !== undefined) {
    if (!Array.isArray(o.captions)) throw typeError('options.captions', 'an array of strings', o.captions);
    if (o.captions.length !== o.images.length) throw rangeError('options.captions.length', `${o.images.length} (one per image)`, o.captions.length);
    captions = o.captions.map((c: unknown, i) => {
      if (typeof c !== 'string') throw typeError(`options.captions[${i}]`, 'a string', c);
      return c;
    });
  }
  if (o.title !== undefined && typeof o.title !== 'string') throw typeError('options.title', 'a string', o.title);
  return { images: o.images as Float32Array[], width, height, columns, scale, captions, title: o.title ?? '' };
}

function layout(o: Checked): GridLayout {
  const columns = Math.min(o.columns, o.images.length);
  const rows = Math.ceil(o.images.length / columns);
  const imageWidth = o.width * o.scale;
  const imageHeight = o.height * o.scale;
  const captionHeight = o.captions ? textHeight(1) + PAD : 0;
  const top = o.title ? PAD + textHeight(TITLE_SCALE) : 0;
  const width = PAD + columns * (imageWidth + PAD);
  const height = top + PAD + rows * (imageHeight + captionHeight + PAD);
  if (width > MAX_SIDE) throw rangeError('image grid width', `at most ${MAX_SIDE} pixels (fewer columns or a smaller scale)`, width);
  if (height > MAX_SIDE) throw rangeError('image grid height', `at most ${MAX_SIDE} pixels (fewer images or a smaller scale)`, height);
  const cells = o.images.map((_, i) => ({
    x: PAD + (i % columns) * (imageWidth + PAD),
    y: top + PAD + Math.floor(i / columns) * (imageHeight + captionHeight + PAD),
  }));
  return { width, height, columns, cells, imageWidth, imageHeight, captionHeight };
}

/** Where imageGrid would put each image, for the same options. */
export function imageGridLayout(options: ImageGridOptions): GridLayout {
  return layout(validate(options));
}

function drawImage(r: Raster, image: Float32Array, o: Checked, x: number, y: number): void {
  for (let row = 0; row < o.height; row++) {
    for (let col = 0; col < o.width; col++) {
      const v = image[row * o.width + col];
      // NaN fails both comparisons, so it reaches the marker colour rather than a clamped grey.
      const grey = v >= 1 ? 255 : v <= 0 ? 0 : Math.round(v * 255);
      const color: Rgb = Number.isNaN(v) ? NAN_COLOR : [grey, grey, grey];
      r.fillRect(x + col * o.scale, y + row * o.scale, o.scale, o.scale, color);
    }
  }
}

/**
 * A PNG of `options.images` in a grid of `options.columns` columns on a white page, with
 * captions under the images and a title above when given. Values outside [0, 1] are clamped;
 * NaN is drawn in NAN_COLOR. The same options always give the same bytes.
 */
export function imageGrid(options: ImageGridOptions): Buffer {
  const o = validate(options);
  const l = layout(o);
  const raster = new Raster(l.width, l.height, WHITE);
  if (o.title) {
    const title = fitText(o.title, l.width - 2 * PAD, TITLE_SCALE);
    raster.text(Math.floor((l.width - textWidth(title, TITLE_SCALE)) / 2), PAD, title, BLACK, TITLE_SCALE);
  }
  o.images.forEach((image, i) => {
    const { x, y } = l.cells[i];
    raster.fillRect(x - 1, y - 1, l.imageWidth + 2, l.imageHeight + 2, FRAME);
    drawImage(raster, image, o, x, y);
    if (!o.captions) return;
    const caption = fitText(o.captions[i], l.imageWidth, 1);
    raster.text(x + Math.floor((l.imageWidth - textWidth(caption, 1)) / 2), y + l.imageHeight + PAD / 2, caption, BLACK, 1);
  });
  return raster.toPng();
}

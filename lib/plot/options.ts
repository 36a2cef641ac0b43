/**
 * Checks of the options every chart shares (strings, sizes, y limits, value arrays, colours), so
 * that lineChart and barChart reject the same mistakes with the same messages and codes.
 */
import { types } from 'node:util';

import { rangeError, typeError } from '../errors';
import * as check from '../validate';
import type { Rgb } from './raster';

/** Smallest and largest chart side in pixels. */
export const MIN_SIDE = 64;
export const MAX_SIDE = 8192;

/** Matplotlib's "tab10" colours: distinct from one another and readable on white. */
export const PALETTE: readonly Rgb[] = [
  [31, 119, 180],
  [255, 127, 14],
  [44, 160, 44],
  [214, 39, 40],
  [148, 103, 189],
  [140, 86, 75],
  [227, 119, 194],
  [127, 127, 127],
  [188, 189, 34],
  [23, 190, 207],
];

/** The options object itself: present, an object, and without unknown keys. */
export function chartOptions<K extends string>(options: unknown, known: readonly K[]): Partial<Record<K, unknown>> {
  if (options === undefined) throw typeError('options', 'an object', options);
  return check.options(options, 'options', known);
}

export function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw typeError(name, 'a string', value);
  return value;
}

export function optionalNumber(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : check.finiteNumber(value, name, -Number.MAX_VALUE, Number.MAX_VALUE);
}

/** An image side in MIN_SIDE..MAX_SIDE, or `fallback` when absent. */
export function side(value: unknown, name: string, fallback: number): number {
  return value === undefined ? fallback : check.integer(value, name, MIN_SIDE, MAX_SIDE);
}

/** options.yMin and options.yMax, each optional, with yMax above yMin when both are given. */
export function yLimits(o: { yMin?: unknown; yMax?: unknown }): { yMin: number | undefined; yMax: number | undefined } {
  const yMin = optionalNumber(o.yMin, 'options.yMin');
  const yMax = optionalNumber(o.yMax, 'options.yMax');
  if (yMin !== undefined && yMax !== undefined && !(yMax > yMin)) throw rangeError('options.yMax', `greater than options.yMin (${yMin})`, yMax);
  return { yMin, yMax };
}

/** An array of numbers or a (non-BigInt) typed array, taken as it is. */
export function values(value: unknown, name: string): ArrayLike<number> {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v !== 'number') throw typeError(`${name}[${i}]`, 'a number', v);
    });
    return value as number[];
  }
  if (types.isTypedArray(value) && !types.isBigInt64Array(value) && !types.isBigUint64Array(value)) return value as ArrayLike<number>;
  throw typeError(name, 'an array or typed array of numbers', value);
}

export function color(value: unknown, name: string): Rgb {
  if (!Array.isArray(value)) throw typeError(name, 'an array [red, green, blue]', value);
  if (value.length !== 3) throw rangeError(`${name}.length`, '3', value.length);
  return value.map((c, i) => check.integer(c, `${name}[${i}]`, 0, 255)) as unknown as Rgb;
}

/** The colour of series `index`: as given, or the palette's next one. */
export function seriesColor(value: unknown, name: string, index: number): Rgb {
  return value === undefined ? PALETTE[index % PALETTE.length] : color(value, name);
}

/**
 * Line charts of one or more series against their row index, as PNG: frame, "nice" ticks with
 * grid lines, axis labels, title and a legend. Long series are reduced to their extent in each
 * pixel column before drawing, so a few hundred thousand points cost one pass over the data.
 */
import { types } from 'node:util';

import { rangeError, typeError } from '../errors';
import * as check from '../validate';
import { GLYPH_ASCENT, fitText, textHeight, textWidth } from './font';
import { BLACK, Raster, type Rect, type Rgb, WHITE } from './raster';

/** One line of a chart. */
export interface Series {
  /** The y values; values[i] is drawn at x = xStart + i. NaN and ±Infinity leave a gap. */
  values: ArrayLike<number>;
  /** Name shown in the legend (which appears once two or more series have labels). */
  label?: string;
  /** Line colour as [red, green, blue] in 0..255; by default the next colour of a fixed palette. */
  color?: Rgb;
}

/** What lineChart draws; `series`, `title`, `xLabel` and `yLabel` are required. */
export interface LineChartOptions {
  series: readonly Series[];
  title: string;
  xLabel: string;
  yLabel: string;
  /** Image width in pixels, 64..8192 (default 900). */
  width?: number;
  /** Image height in pixels, 64..8192 (default 500). */
  height?: number;
  /** Bottom of the y axis; by default the data minimum rounded down to a tick. */
  yMin?: number;
  /** Top of the y axis; by default the data maximum rounded up to a tick. */
  yMax?: number;
  /** The x value of values[0] (default 0). */
  xStart?: number;
}

/** One axis: its range, the tick spacing and the tick values with their labels. */
export interface Axis {
  min: number;
  max: number;
  step: number;
  ticks: { value: number; label: string }[];
}

/** Where everything of a chart goes; lineChart draws exactly this. */
export interface ChartLayout {
  width: number;
  height: number;
  /** The data area inside the frame: data never draws outside it. */
  plot: Rect;
  x: Axis;
  y: Axis;
  /** Pixel scale of the tick and axis label font (the title is one step larger). */
  fontScale: number;
  /** The pixel column of the x value `x` (rounded; may lie outside the plot). */
  xToColumn(x: number): number;
  /** The pixel row of the y value `y` (rounded; may lie outside the plot). */
  yToRow(y: number): number;
}

const KNOWN = ['series', 'title', 'xLabel', 'yLabel', 'width', 'height', 'yMin', 'yMax', 'xStart'] as const;
const SERIES_KNOWN = ['values', 'label', 'color'] as const;
const MIN_SIDE = 64;
const MAX_SIDE = 8192;

/** Matplotlib's "tab10" colours: distinct from one another and readable on white. */
const PALETTE: Rgb[] = [
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
const GRID: Rgb = [228, 228, 228];
const FRAME: Rgb = [60, 60, 60];
const LEGEND_BORDER: Rgb = [180, 180, 180];

interface Checked {
  series: { values: ArrayLike<number>; label: string | undefined; color: Rgb }[];
  title: string;
  xLabel: string;
  yLabel: string;
  width: number;
  height: number;
  yMin: number | undefined;
  yMax: number | undefined;
  xStart: number;
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw typeError(name, 'a string', value);
  return value;
}

function optionalNumber(value: unknown, name: string): number | undefined {
  return value === undefined ? undefined : check.finiteNumber(value, name, -Number.MAX_VALUE, Number.MAX_VALUE);
}

function values(value: unknown, name: string): ArrayLike<number> {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v !== 'number') throw typeError(`${name}[${i}]`, 'a number', v);
    });
    return value as number[];
  }
  if (types.isTypedArray(value) && !types.isBigInt64Array(value) && !types.isBigUint64Array(value)) return value as ArrayLike<number>;
  throw typeError(name, 'an array or typed array of numbers', value);
}

function color(value: unknown, name: string): Rgb {
  if (!Array.isArray(value)) throw typeError(name, 'an array [red, green, blue]', value);
  if (value.length !== 3) throw rangeError(`${name}.length`, '3', value.length);
  return value.map((c, i) => check.integer(c, `${name}[${i}]`, 0, 255)) as unknown as Rgb;
}

function validate(options: unknown): Checked {
  if (options === undefined) throw typeError('options', 'an object', options);
  const o = check.options(options, 'options', KNOWN);
  if (!Array.isArray(o.series)) throw typeError('options.series', 'an array of series', o.series);
  const series = o.series.map((s: unknown, i) => {
    const name = `options.series[${i}]`;
    if (typeof s !== 'object' || s === null) throw typeError(name, 'an object', s);
    const so = check.options(s, name, SERIES_KNOWN);
    return {
      values: values(so.values, `${name}.values`),
      label: so.label === undefined ? undefined : text(so.label, `${name}.label`),
      color: so.color === undefined ? PALETTE[i % PALETTE.length] : color(so.color, `${name}.color`),
    };
  });
  const yMin = optionalNumber(o.yMin, 'options.yMin');
  const yMax = optionalNumber(o.yMax, 'options.yMax');
  if (yMin !== undefined && yMax !== undefined && !(yMax > yMin)) throw rangeError('options.yMax', `greater than options.yMin (${yMin})`, yMax);
  return {
    series,
    title: text(o.title, 'options.title'),
    xLabel: text(o.xLabel, 'options.xLabel'),
    yLabel: text(o.yLabel, 'options.yLabel'),
    width: o.width === undefined ? 900 : check.integer(o.width, 'options.width', MIN_SIDE, MAX_SIDE),
    height: o.height === undefined ? 500 : check.integer(o.height, 'options.height', MIN_SIDE, MAX_SIDE),
    yMin,
    yMax,
    xStart: optionalNumber(o.xStart, 'options.xStart') ?? 0,
  };
}

/** A tick step m × 10^k with m in {1, 2, 5}, kept as parts so labels get exactly k's decimals. */
interface Step {
  mantissa: 1 | 2 | 5;
  exponent: number;
}

const stepValue = (s: Step): number => (s.exponent < 0 ? s.mantissa / 10 ** -s.exponent : s.mantissa * 10 ** s.exponent);

/** The smallest 1/2/5 × 10^k step that is at least `raw`. */
function niceStep(raw: number): Step {
  let exponent = Math.floor(Math.log10(raw));
  for (;;) {
    for (const mantissa of [1, 2, 5] as const) {
      const step = { mantissa, exponent };
      if (stepValue(step) >= raw * (1 - 1e-9)) return step;
    }
    exponent++;
  }
}

function nextStep(s: Step): Step {
  return s.mantissa === 1 ? { mantissa: 2, exponent: s.exponent } : s.mantissa === 2 ? { mantissa: 5, exponent: s.exponent } : { mantissa: 1, exponent: s.exponent + 1 };
}

/** Plain decimals with as many places as the step needs; exponent notation where that would be unwieldy. */
function formatTick(value: number, step: Step, magnitude: number): string {
  if (Math.abs(value) < stepValue(step) / 2) return '0';
  if (magnitude >= 1e6 || step.exponent < -4) {
    const digits = Math.min(15, Math.max(0, Math.floor(Math.log10(magnitude)) - step.exponent));
    return value.toExponential(digits).replace('e+', 'e');
  }
  return value.toFixed(Math.max(0, -step.exponent));
}

/** Ticks never exceed this many, whatever floating point does to a range far from zero. */
const MAX_TICKS = 100;
/** Ten decades of coarser steps: if labels still collide, the plot is too small for any step. */
const MAX_COARSENING = 30;

/**
 * Chooses a tick step for [lo, hi] drawn over `pixels` pixels: the finest 1/2/5 step whose ticks
 * are at least `minSpacing` pixels apart and whose labels (measured by `labelSize`) do not touch.
 * Ends not fixed by the caller are widened to the nearest tick.
 */
function niceAxis(lo: number, hi: number, fixLo: boolean, fixHi: boolean, pixels: number, minSpacing: number, labelSize: (label: string) => number): Axis {
  let step = niceStep((hi - lo) / Math.max(1, Math.floor(pixels / minSpacing)));
  for (let coarsening = 0; ; coarsening++) {
    const value = stepValue(step);
    const min = fixLo ? lo : Math.floor(lo / value) * value;
    const max = fixHi ? hi : Math.ceil(hi / value) * value;
    const first = Math.ceil(min / value - 1e-9);
    const count = Math.min(MAX_TICKS, Math.floor(max / value + 1e-9) - first + 1);
    const magnitude = Math.max(Math.abs(min), Math.abs(max));
    const ticks = Array.from({ length: Math.max(0, count) }, (_, i) => {
      const v = (first + i) * value;
      return { value: v, label: formatTick(v, step, magnitude) };
    });
    const spacing = (value / (max - min)) * pixels;
    const widest = Math.max(0, ...ticks.map((t) => labelSize(t.label)));
    const next = nextStep(step);
    if (spacing >= widest + minSpacing / 4 || coarsening === MAX_COARSENING || !Number.isFinite(stepValue(next))) return { min, max, step: value, ticks };
    step = next;
  }
}

/** The finite minimum and maximum over all series, or null when there is no finite value. */
function dataRange(series: Checked['series']): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const { values } of series) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo && v !== -Infinity) lo = v;
      if (v > hi && v !== Infinity) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** How far to pad around a lone value `v` so that a range has width: a tenth of it, or 1 around 0. */
const padding = (v: number): number => Math.abs(v) * 0.1 || 1;

/**
 * The y range before rounding to ticks: the data's (padded when constant, [0, 1] without data),
 * with yMin and yMax as given; a fixed end beyond all the data gets a range on its own side.
 */
function yRange(o: Checked): [number, number] {
  let [lo, hi] = dataRange(o.series) ?? [0, 1];
  if (lo === hi) [lo, hi] = [lo - padding(lo), hi + padding(hi)];
  if (o.yMin !== undefined && o.yMax !== undefined) return [o.yMin, o.yMax];
  if (o.yMin !== undefined) return [o.yMin, hi > o.yMin ? hi : o.yMin + padding(o.yMin)];
  if (o.yMax !== undefined) return [lo < o.yMax ? lo : o.yMax - padding(o.yMax), o.yMax];
  return [lo, hi];
}

/** ChartLayout plus the spacing lineChart draws with, kept out of the public type. */
interface Layout extends ChartLayout {
  pad: number;
  tick: number;
  gap: number;
  titleScale: number;
}

function layout(o: Checked): Layout {
  const s = Math.max(1, Math.floor(Math.min(o.width, o.height) / 400));
  // Small charts get tight margins so that the data area is not squeezed out by whitespace.
  const small = Math.min(o.width, o.height) < 200;
  const pad = (small ? 2 : 8) * s;
  const tick = (small ? 2 : 4) * s;
  const gap = (small ? 1 : 4) * s;
  const titleScale = small ? s : s + 1;
  const line = textHeight(s);
  // Without a title, room for the top y tick label, which is centred on the frame's top row.
  const top = o.title ? pad + textHeight(titleScale) + pad : pad + Math.ceil(line / 2);
  const bottom = tick + gap + line + gap + line + pad;
  const plotHeight = Math.max(2, o.height - top - bottom);

  const [ylo, yhi] = yRange(o);
  const y = niceAxis(ylo, yhi, o.yMin !== undefined, o.yMax !== undefined, plotHeight, 40 * s, () => line);
  const yLabelWidth = Math.max(0, ...y.ticks.map((t) => textWidth(t.label, s)));
  const left = pad + line + gap + yLabelWidth + gap + tick;
  const plotWidth = Math.max(2, o.width - left - 2 * pad);

  const points = Math.max(0, ...o.series.map((series) => series.values.length));
  const x = niceAxis(o.xStart, o.xStart + Math.max(1, points - 1), true, true, plotWidth, 60 * s, (label) => textWidth(label, s));

  const plot = { x: left, y: top, width: plotWidth, height: plotHeight };
  return {
    width: o.width,
    height: o.height,
    plot,
    x,
    y,
    fontScale: s,
    xToColumn: (v) => Math.round(plot.x + ((v - x.min) / (x.max - x.min)) * (plot.width - 1)),
    yToRow: (v) => Math.round(plot.y + ((y.max - v) / (y.max - y.min)) * (plot.height - 1)),
    pad,
    tick,
    gap,
    titleScale,
  };
}

/**
 * Where lineChart would put the plot area, the ticks and each value, for the same options: lets a
 * caller (or a test) find a value's pixel without decoding the picture.
 */
export function lineChartLayout(options: LineChartOptions): ChartLayout {
  return layout(validate(options));
}

function drawAxes(r: Raster, l: Layout, o: Checked): void {
  const { plot, fontScale: s, pad, tick, gap, titleScale } = l;
  const right = plot.x + plot.width - 1;
  const bottom = plot.y + plot.height - 1;
  for (const t of l.y.ticks) {
    const row = l.yToRow(t.value);
    r.line(plot.x, row, right, row, GRID);
    r.line(plot.x - 1 - tick, row, plot.x - 1, row, FRAME);
    r.text(plot.x - 1 - tick - gap - textWidth(t.label, s), row - Math.floor((GLYPH_ASCENT * s) / 2), t.label, BLACK, s);
  }
  for (const t of l.x.ticks) {
    const column = l.xToColumn(t.value);
    r.line(column, plot.y, column, bottom, GRID);
    r.line(column, bottom + 1, column, bottom + 1 + tick, FRAME);
    const w = textWidth(t.label, s);
    // Labels at the frame's ends are nudged inwards rather than cut by the image edge.
    const labelX = Math.min(l.width - w, Math.max(0, column - Math.floor(w / 2)));
    r.text(labelX, bottom + 1 + tick + gap, t.label, BLACK, s);
  }
  // Just outside the data area, so that no data point hides it.
  r.strokeRect(plot.x - 1, plot.y - 1, plot.width + 2, plot.height + 2, FRAME);

  const line = textHeight(s);
  const xLabel = fitText(o.xLabel, plot.width, s);
  r.text(plot.x + Math.floor((plot.width - textWidth(xLabel, s)) / 2), l.height - pad - line, xLabel, BLACK, s);
  const yLabel = fitText(o.yLabel, plot.height, s);
  r.textUp(pad, plot.y + Math.floor((plot.height - textWidth(yLabel, s)) / 2), yLabel, BLACK, s);
  const title = fitText(o.title, l.width - 2 * pad, titleScale);
  r.text(Math.floor((l.width - textWidth(title, titleScale)) / 2), pad, title, BLACK, titleScale);
}

/** Series lines are a pixel thicker than the font's strokes, so data stands out from text. */
const lineThickness = (l: ChartLayout): number => l.fontScale + 1;

/**
 * Draws one series clipped to the plot. Consecutive points in the same pixel column collapse to
 * that column's vertical extent, joined to the neighbouring columns by their first and last
 * points, which looks the same as drawing every segment.
 */
function drawSeries(r: Raster, l: ChartLayout, series: Checked['series'][number], xStart: number): void {
  const thickness = lineThickness(l);
  const { values, color } = series;
  // The column being collected, and the last drawn point to join it to (null after a gap).
  let column = NaN;
  let first = 0;
  let last = 0;
  let lo = 0;
  let hi = 0;
  let joinFrom: [number, number] | null = null;
  let previous: [number, number] | null = null;
  const flush = (): void => {
    if (Number.isNaN(column)) return;
    if (joinFrom) r.line(joinFrom[0], joinFrom[1], column, first, color, thickness);
    r.line(column, lo, column, hi, color, thickness);
    previous = [column, last];
    column = NaN;
  };
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      flush();
      previous = null;
      continue;
    }
    const c = l.xToColumn(xStart + i);
    const row = l.yToRow(v);
    if (c === column) {
      last = row;
      if (row < lo) lo = row;
      if (row > hi) hi = row;
    } else {
      flush();
      joinFrom = previous;
      column = c;
      first = last = lo = hi = row;
    }
  }
  flush();
}

function drawLegend(r: Raster, l: ChartLayout, series: Checked['series']): void {
  const labelled = series.filter((s) => s.label !== undefined);
  if (labelled.length < 2) return;
  const s = l.fontScale;
  const pad = 6 * s;
  const sample = 20 * s;
  const rowHeight = textHeight(s) + 4 * s;
  const maxLabel = Math.max(0, Math.floor(l.plot.width / 2) - sample - 3 * pad);
  const labels = labelled.map((x) => fitText(x.label ?? '', maxLabel, s));
  const boxWidth = pad + sample + pad + Math.max(...labels.map((t) => textWidth(t, s))) + pad;
  const boxHeight = pad + labelled.length * rowHeight - 4 * s + pad;
  const x = l.plot.x + l.plot.width - boxWidth - pad;
  const y = l.plot.y + pad;
  r.fillRect(x, y, boxWidth, boxHeight, WHITE);
  r.strokeRect(x, y, boxWidth, boxHeight, LEGEND_BORDER);
  labelled.forEach((entry, i) => {
    const top = y + pad + i * rowHeight;
    const middle = top + Math.floor((GLYPH_ASCENT * s) / 2);
    r.line(x + pad, middle, x + pad + sample, middle, entry.color, lineThickness(l));
    r.text(x + pad + sample + pad, top, labels[i], BLACK, s);
  });
}

/**
 * A PNG line chart of `options.series` against the row index. NaN values leave gaps; with no
 * finite value at all the chart is drawn empty but fully labelled. The same options always give
 * the same bytes.
 */
export function lineChart(options: LineChartOptions): Buffer {
  const o = validate(options);
  const l = layout(o);
  const raster = new Raster(o.width, o.height, WHITE);
  drawAxes(raster, l, o);
  raster.setClip(l.plot);
  for (const series of o.series) drawSeries(raster, l, series, o.xStart);
  drawLegend(raster, l, o.series);
  return raster.toPng();
}

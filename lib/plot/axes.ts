/**
 * What every chart with a y axis shares: margins scaled to the image, "nice" 1/2/5 × 10^k ticks,
 * the y range, horizontal grid lines, the frame, the title, the turned y label and the legend box.
 * lineChart and barChart lay out and draw these the same way; only their data and x axes differ.
 */
import { GLYPH_ASCENT, fitText, textHeight, textWidth } from './font';
import { BLACK, Raster, type Rect, type Rgb, WHITE } from './raster';

/** One axis: its range, the tick spacing and the tick values with their labels. */
export interface Axis {
  min: number;
  max: number;
  step: number;
  ticks: { value: number; label: string }[];
}

/** The part of a chart's layout that every chart has: the page, the data area and the y axis. */
export interface ChartFrame {
  width: number;
  height: number;
  /** The data area inside the frame: data never draws outside it. */
  plot: Rect;
  y: Axis;
  /** Pixel scale of the tick and axis label font (the title is one step larger). */
  fontScale: number;
  /** The pixel row of the y value `y` (rounded; may lie outside the plot). */
  yToRow(y: number): number;
}

export const GRID: Rgb = [228, 228, 228];
export const FRAME: Rgb = [60, 60, 60];
const LEGEND_BORDER: Rgb = [180, 180, 180];

/** Spacing of a chart, all in pixels and growing with the image. */
export interface Margins {
  /** Font scale of ticks and axis labels. */
  s: number;
  /** Between the image edge and whatever comes first. */
  pad: number;
  /** Length of a tick mark. */
  tick: number;
  /** Between a tick mark and its label, or between two lines of text. */
  gap: number;
  titleScale: number;
  /** Height of one line of text at scale s. */
  line: number;
}

export function margins(width: number, height: number): Margins {
  const s = Math.max(1, Math.floor(Math.min(width, height) / 400));
  // Small charts get tight margins so that the data area is not squeezed out by whitespace.
  const small = Math.min(width, height) < 200;
  return {
    s,
    pad: (small ? 2 : 8) * s,
    tick: (small ? 2 : 4) * s,
    gap: (small ? 1 : 4) * s,
    titleScale: small ? s : s + 1,
    line: textHeight(s),
  };
}

/** The first row of the plot: under the title, or (without one) room for the top y tick label. */
export function plotTop(m: Margins, title: string): number {
  // The top y tick label is centred on the frame's top row.
  return title ? m.pad + textHeight(m.titleScale) + m.pad : m.pad + Math.ceil(m.line / 2);
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
export function niceAxis(lo: number, hi: number, fixLo: boolean, fixHi: boolean, pixels: number, minSpacing: number, labelSize: (label: string) => number): Axis {
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

/** The minimum and maximum over all arrays, ignoring NaN and ±Infinity; null when nothing is finite. */
export function finiteRange(arrays: readonly ArrayLike<number>[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of arrays) {
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
export function yRange(data: [number, number] | null, yMin: number | undefined, yMax: number | undefined): [number, number] {
  let [lo, hi] = data ?? [0, 1];
  if (lo === hi) [lo, hi] = [lo - padding(lo), hi + padding(hi)];
  if (yMin !== undefined && yMax !== undefined) return [yMin, yMax];
  if (yMin !== undefined) return [yMin, hi > yMin ? hi : yMin + padding(yMin)];
  if (yMax !== undefined) return [lo < yMax ? lo : yMax - padding(yMax), yMax];
  return [lo, hi];
}

/**
 * The y axis for [lo, hi] over a plot `plotHeight` rows tall, and the plot's left edge: right of
 * the turned y label and the widest tick label.
 */
export function yAxis(m: Margins, lo: number, hi: number, fixLo: boolean, fixHi: boolean, plotHeight: number): { y: Axis; left: number } {
  const y = niceAxis(lo, hi, fixLo, fixHi, plotHeight, 40 * m.s, () => m.line);
  const yLabelWidth = Math.max(0, ...y.ticks.map((t) => textWidth(t.label, m.s)));
  return { y, left: m.pad + m.line + m.gap + yLabelWidth + m.gap + m.tick };
}

/** The function from y values to pixel rows of `plot`: y.max on its top row, y.min on its bottom one. */
export function rowMapper(plot: Rect, y: Axis): (v: number) => number {
  return (v) => Math.round(plot.y + ((y.max - v) / (y.max - y.min)) * (plot.height - 1));
}

/** Horizontal grid lines at the y ticks, their tick marks left of the frame and their labels. */
export function drawYTicks(r: Raster, l: ChartFrame, m: Margins): void {
  const { plot, fontScale: s } = l;
  const right = plot.x + plot.width - 1;
  for (const t of l.y.ticks) {
    const row = l.yToRow(t.value);
    r.line(plot.x, row, right, row, GRID);
    r.line(plot.x - 1 - m.tick, row, plot.x - 1, row, FRAME);
    r.text(plot.x - 1 - m.tick - m.gap - textWidth(t.label, s), row - Math.floor((GLYPH_ASCENT * s) / 2), t.label, BLACK, s);
  }
}

/** The frame, just outside the data area so that no data hides it. */
export function drawFrame(r: Raster, plot: Rect): void {
  r.strokeRect(plot.x - 1, plot.y - 1, plot.width + 2, plot.height + 2, FRAME);
}

/** The y label, turned to read upwards at the left edge and centred on the plot (cut to fit). */
export function drawYLabel(r: Raster, l: ChartFrame, m: Margins, label: string): void {
  const { plot, fontScale: s } = l;
  const fitted = fitText(label, plot.height, s);
  r.textUp(m.pad, plot.y + Math.floor((plot.height - textWidth(fitted, s)) / 2), fitted, BLACK, s);
}

/** The title, centred at the top (cut to fit). */
export function drawTitle(r: Raster, l: ChartFrame, m: Margins, title: string): void {
  const fitted = fitText(title, l.width - 2 * m.pad, m.titleScale);
  r.text(Math.floor((l.width - textWidth(fitted, m.titleScale)) / 2), m.pad, fitted, BLACK, m.titleScale);
}

/** A legend box measured and with its labels cut to fit, ready to draw at any position. */
export interface Legend {
  entries: { label: string; color: Rgb }[];
  width: number;
  height: number;
  /** Width of each entry's colour sample. */
  sample: number;
  /** Padding inside the box, round the samples and labels. */
  inset: number;
  rowHeight: number;
  scale: number;
}

/** Measures a legend of `entries` at font scale `s`, cutting labels to `maxLabel` pixels. */
export function legend(entries: readonly { label: string; color: Rgb }[], maxLabel: number, s: number, sample: number): Legend {
  const inset = 6 * s;
  const rowHeight = textHeight(s) + 4 * s;
  const fitted = entries.map((e) => ({ label: fitText(e.label, maxLabel, s), color: e.color }));
  return {
    entries: fitted,
    width: inset + sample + inset + Math.max(0, ...fitted.map((e) => textWidth(e.label, s))) + inset,
    height: inset + entries.length * rowHeight - 4 * s + inset,
    sample,
    inset,
    rowHeight,
    scale: s,
  };
}

/**
 * Draws `box` with its top-left corner at (x, y): a white box with a grey border and, per entry,
 * a colour sample (drawn by `drawSample` left of the label, `middle` being the row through the
 * middle of the capitals) and the label.
 */
export function drawLegend(r: Raster, box: Legend, x: number, y: number, drawSample: (left: number, top: number, middle: number, color: Rgb) => void): void {
  const { inset, sample, rowHeight, scale: s } = box;
  r.fillRect(x, y, box.width, box.height, WHITE);
  r.strokeRect(x, y, box.width, box.height, LEGEND_BORDER);
  box.entries.forEach((entry, i) => {
    const top = y + inset + i * rowHeight;
    const middle = top + Math.floor((GLYPH_ASCENT * s) / 2);
    drawSample(x + inset, top, middle, entry.color);
    r.text(x + inset + sample + inset, top, entry.label, BLACK, s);
  });
}

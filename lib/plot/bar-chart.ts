/**
 * Grouped bar charts as PNG: one group per category (a scenario, say) holding one bar per series
 * (a method), with the y axis, grid, frame, title and y label of lineChart, the group names under
 * the groups, a legend right of the plot and, on request, each bar's value at its end.
 */
import { rangeError, typeError } from '../errors';
import * as check from '../validate';
import {
  type ChartFrame,
  FRAME,
  type Legend,
  type Margins,
  drawFrame,
  drawLegend,
  drawTitle,
  drawYLabel,
  drawYTicks,
  finiteRange,
  legend,
  margins,
  plotTop,
  rowMapper,
  yAxis,
  yRange,
} from './axes';
import { GLYPH_ASCENT, fitText, textWidth } from './font';
import { BLACK, Raster, type Rect, type Rgb, WHITE } from './raster';
import { chartOptions, seriesColor, side, text, values, yLimits } from './options';

/** One bar per group, all in one colour: a method, say, across scenarios. */
export interface BarSeries {
  /** Name shown in the legend (which appears once there are two or more series). */
  label: string;
  /** One value per group, in the order of `groups`. NaN (or ±Infinity) leaves no bar. */
  values: ArrayLike<number>;
  /** Bar colour as [red, green, blue] in 0..255; by default the next colour of lineChart's palette. */
  color?: Rgb;
}

/** What barChart draws; `groups`, `series`, `title` and `yLabel` are required. */
export interface BarChartOptions {
  /** The names under the groups, left to right (cut with '…' where wider than a group). At least one. */
  groups: readonly string[];
  /** The bars of each group, left to right: series[i] gives bar i of every group. */
  series: readonly BarSeries[];
  title: string;
  yLabel: string;
  /** Bottom of the y axis; by default 0 or, below 0, the data minimum rounded down to a tick. */
  yMin?: number;
  /** Top of the y axis; by default 0 or, above 0, the data maximum rounded up to a tick. */
  yMax?: number;
  /** Image width in pixels, 64..8192 (default 900). */
  width?: number;
  /** Image height in pixels, 64..8192 (default 500). */
  height?: number;
  /**
   * Print each bar's value (as formatBarValue writes it, such as '97.9') beyond the bar's end, or
   * just inside it where the plot has no room beyond. A label too wide for its bar is turned to read
   * upwards, and left out where even that does not fit. Default false.
   */
  valueLabels?: boolean;
}

/** A value label: where its lit pixels go, and its text. */
export interface ValueLabel extends Rect {
  text: string;
  /** Turned to read upwards, because the bar is narrower than the text. */
  upright: boolean;
  /** Just inside the bar's end, because the plot has no room beyond it (the text contrasts with the bar). */
  inside: boolean;
}

/** Where everything of a bar chart goes; barChart draws exactly this. */
export interface BarChartLayout extends ChartFrame {
  /** Per group, left to right: its share of the plot's columns, and its name as drawn (cut to fit). */
  groups: { x: number; width: number; label: string }[];
  /**
   * bars[i][g]: the pixels of series i's bar in group g, from the value's row (yToRow) to the
   * baseline row, both included and clipped to the plot; null where the value is not finite.
   */
  bars: (Rect | null)[][];
  /** The row the bars grow from: that of 0, or of the axis end nearer 0 when 0 is off the axis. */
  baseline: number;
  /** valueLabels[i][g]: the label of bars[i][g]; null without valueLabels, without a bar, or without room. */
  valueLabels: (ValueLabel | null)[][];
  /** The legend box, right of the plot; null with fewer than two series. */
  legend: Rect | null;
}

const KNOWN = ['groups', 'series', 'title', 'yLabel', 'yMin', 'yMax', 'width', 'height', 'valueLabels'] as const;
const SERIES_KNOWN = ['label', 'values', 'color'] as const;
/** The bars of a group fill this share of its columns; the rest separates the groups. */
const GROUP_FILL = 0.8;
/** Width of a legend's colour swatch, at font scale 1. */
const SWATCH = 12;

interface Checked {
  groups: string[];
  series: { label: string; values: ArrayLike<number>; color: Rgb }[];
  title: string;
  yLabel: string;
  yMin: number | undefined;
  yMax: number | undefined;
  width: number;
  height: number;
  valueLabels: boolean;
}

function validate(options: unknown): Checked {
  const o = chartOptions(options, KNOWN);
  if (!Array.isArray(o.groups)) throw typeError('options.groups', 'an array of strings', o.groups);
  if (o.groups.length === 0) throw rangeError('options.groups.length', 'at least 1', 0);
  const groups = o.groups.map((g: unknown, i) => text(g, `options.groups[${i}]`));
  if (!Array.isArray(o.series)) throw typeError('options.series', 'an array of series', o.series);
  const series = o.series.map((s: unknown, i) => {
    const name = `options.series[${i}]`;
    if (typeof s !== 'object' || s === null) throw typeError(name, 'an object', s);
    const so = check.options(s, name, SERIES_KNOWN);
    const label = text(so.label, `${name}.label`);
    const v = values(so.values, `${name}.values`);
    if (v.length !== groups.length) throw rangeError(`${name}.values.length`, `${groups.length} (one per group)`, v.length);
    return { label, values: v, color: seriesColor(so.color, `${name}.color`, i) };
  });
  if (o.valueLabels !== undefined && typeof o.valueLabels !== 'boolean') throw typeError('options.valueLabels', 'a boolean', o.valueLabels);
  const { yMin, yMax } = yLimits(o);
  return {
    groups,
    series,
    title: text(o.title, 'options.title'),
    yLabel: text(o.yLabel, 'options.yLabel'),
    yMin,
    yMax,
    width: side(o.width, 'options.width', 900),
    height: side(o.height, 'options.height', 500),
    valueLabels: o.valueLabels ?? false,
  };
}

/** Strips the zeros that end a decimal fraction: '5.00' → '5', '1.50e-4' → '1.5e-4'. */
const stripZeros = (s: string): string => (s.includes('.') ? s.replace(/\.?0+(?=e|$)/, '') : s);

/**
 * A bar's value as a value label shows it: three significant digits (whole numbers in full) without
 * trailing zeros, such as '97.9', '0.95', '12' or '1234'; exponent notation ('1.5e7') from a
 * million up and below 0.001.
 */
export function formatBarValue(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude === 0) return '0';
  if (magnitude >= 1e6 || magnitude < 1e-3) return stripZeros(value.toExponential(2).replace('e+', 'e'));
  return stripZeros(value.toFixed(Math.min(5, Math.max(0, 2 - Math.floor(Math.log10(magnitude))))));
}

/**
 * The lit extent of a value label on a bar `barWidth` wide: level if it fits with room to spare
 * (so that the labels of neighbouring bars at the same height stay apart), else upright, else null.
 */
function labelSize(label: string, barWidth: number, s: number): { width: number; height: number; upright: boolean } | null {
  const length = textWidth(label, s);
  const thickness = GLYPH_ASCENT * s; // numbers have no descenders
  const spare = 3 * s;
  if (length + spare <= barWidth) return { width: length, height: thickness, upright: false };
  if (thickness + spare <= barWidth) return { width: thickness, height: length, upright: true };
  return null;
}

/** The width shared by all bars, for a plot `plotWidth` wide. */
function barWidthFor(plotWidth: number, groups: number, series: number): number {
  return Math.max(1, Math.floor(Math.floor(Math.floor(plotWidth / groups) * GROUP_FILL) / Math.max(1, series)));
}

/** Black on light bars, white on dark ones. */
function contrast([r, g, b]: Rgb): Rgb {
  return 0.299 * r + 0.587 * g + 0.114 * b < 140 ? WHITE : BLACK;
}

/** BarChartLayout plus what barChart draws with, kept out of the public type. */
interface Layout extends BarChartLayout {
  margins: Margins;
  legendBox: Legend | null;
}

function layout(o: Checked): Layout {
  const m = margins(o.width, o.height);
  const { s, pad, tick, gap, line } = m;
  const top = plotTop(m, o.title);
  const plotHeight = Math.max(2, o.height - top - (tick + gap + line + pad));

  // The legend takes a column right of the plot, so that it never hides a bar; it gets at most a
  // quarter of the width.
  const inset = 6 * s;
  const sample = SWATCH * s;
  const legendBox = o.series.length >= 2 ? legend(o.series, Math.max(0, Math.floor(o.width / 4) - sample - 3 * inset), s, sample) : null;
  const plotWidthFor = (left: number): number => Math.max(2, o.width - left - 2 * pad - (legendBox ? legendBox.width + pad : 0));

  // Bars are measured from 0, so the automatic range takes 0 in.
  const data = finiteRange(o.series.map((x) => x.values));
  const spanned: [number, number] | null = data && [Math.min(0, data[0]), Math.max(0, data[1])];
  let [lo, hi] = yRange(spanned && spanned[0] === spanned[1] ? [0, 1] : spanned, o.yMin, o.yMax);
  const fixLo = o.yMin !== undefined;
  const fixHi = o.yMax !== undefined;
  let { y, left } = yAxis(m, lo, hi, fixLo, fixHi, plotHeight);
  if (o.valueLabels && data) {
    // Automatic ends leave room for the labels of the longest bars beyond their ends.
    const barWidth = barWidthFor(plotWidthFor(left), o.groups.length, o.series.length);
    const room = (v: number): number => {
      const size = labelSize(formatBarValue(v), barWidth, s);
      return size ? gap + size.height : 0;
    };
    const span = hi - lo;
    const above = !fixHi && data[1] > 0 && hi === data[1] ? room(data[1]) : 0;
    const below = !fixLo && data[0] < 0 && lo === data[0] ? room(data[0]) : 0;
    if (above + below > 0 && plotHeight > 2 * (above + below)) {
      hi += (span * above) / (plotHeight - above - below);
      lo -= (span * below) / (plotHeight - above - below);
      ({ y, left } = yAxis(m, lo, hi, fixLo, fixHi, plotHeight));
    }
  }
  const plot = { x: left, y: top, width: plotWidthFor(left), height: plotHeight };
  const yToRow = rowMapper(plot, y);
  const plotBottom = plot.y + plot.height - 1;
  const base = Math.min(Math.max(0, y.min), y.max);
  const baseline = yToRow(base);

  const count = o.groups.length;
  const barWidth = barWidthFor(plot.width, count, o.series.length);
  const groups = o.groups.map((name, g) => {
    const x = plot.x + Math.round((g * plot.width) / count);
    const width = plot.x + Math.round(((g + 1) * plot.width) / count) - x;
    return { x, width, label: fitText(name, Math.max(0, width - gap), s) };
  });

  const bars = o.series.map((series, i) =>
    groups.map((group, g): Rect | null => {
      const v = series.values[g];
      if (!Number.isFinite(v)) return null;
      const row = yToRow(v);
      const [from, to] = v >= base ? [row, baseline] : [baseline, row];
      const y0 = Math.min(Math.max(from, plot.y), plotBottom);
      const y1 = Math.min(Math.max(to, plot.y), plotBottom);
      const x = group.x + Math.floor((group.width - barWidth * o.series.length) / 2) + i * barWidth;
      return { x, y: y0, width: barWidth, height: y1 - y0 + 1 };
    }),
  );

  const valueLabels = o.series.map((series, i) =>
    bars[i].map((bar, g): ValueLabel | null => {
      if (!o.valueLabels || !bar) return null;
      const v = series.values[g];
      const label = formatBarValue(v);
      const size = labelSize(label, bar.width, s);
      if (!size) return null;
      const x = bar.x + Math.floor((bar.width - size.width) / 2);
      const up = v >= base;
      // Beyond the bar's end where the plot has room, else just inside it where the bar has room.
      const beyond = up ? bar.y - gap - size.height : bar.y + bar.height + gap;
      if (beyond >= plot.y && beyond + size.height - 1 <= plotBottom) return { x, y: beyond, ...size, text: label, inside: false };
      if (bar.height < size.height + 2 * gap) return null;
      const within = up ? bar.y + gap : bar.y + bar.height - gap - size.height;
      return { x, y: within, ...size, text: label, inside: true };
    }),
  );

  return {
    width: o.width,
    height: o.height,
    plot,
    y,
    fontScale: s,
    yToRow,
    groups,
    bars,
    baseline,
    valueLabels,
    legend: legendBox && { x: o.width - pad - legendBox.width, y: plot.y, width: legendBox.width, height: legendBox.height },
    margins: m,
    legendBox,
  };
}

/**
 * Where barChart would put the plot area, the ticks, each bar and each label, for the same
 * options: lets a caller (or a test) find a bar's pixels without decoding the picture.
 */
export function barChartLayout(options: BarChartOptions): BarChartLayout {
  const { margins: _m, legendBox: _l, ...l } = layout(validate(options));
  return l;
}

/** Tick marks at the groups' middles and the group names under them. */
function drawGroups(r: Raster, l: Layout): void {
  const { plot, fontScale: s, margins: m } = l;
  const bottom = plot.y + plot.height - 1;
  for (const group of l.groups) {
    const middle = group.x + Math.floor(group.width / 2);
    r.line(middle, bottom + 1, middle, bottom + 1 + m.tick, FRAME);
    const w = textWidth(group.label, s);
    const labelX = Math.min(l.width - w, Math.max(0, middle - Math.floor(w / 2)));
    r.text(labelX, bottom + 1 + m.tick + m.gap, group.label, BLACK, s);
  }
}

/**
 * A PNG grouped bar chart of `options.series` over `options.groups`: in each group one bar per
 * series, left to right in series order. Non-finite values leave no bar; a bar beyond a fixed
 * yMin or yMax is cut at the frame. The same options always give the same bytes.
 */
export function barChart(options: BarChartOptions): Buffer {
  const o = validate(options);
  const l = layout(o);
  const { plot, fontScale: s, margins: m } = l;
  const raster = new Raster(o.width, o.height, WHITE);
  drawYTicks(raster, l, m);
  drawGroups(raster, l);
  raster.setClip(plot);
  // A zero line where the bars can grow both ways.
  if (l.y.min < 0 && l.y.max > 0) raster.line(plot.x, l.baseline, plot.x + plot.width - 1, l.baseline, FRAME);
  o.series.forEach((series, i) => {
    for (const bar of l.bars[i]) if (bar) raster.fillRect(bar.x, bar.y, bar.width, bar.height, series.color);
  });
  o.series.forEach((series, i) => {
    for (const label of l.valueLabels[i]) {
      if (!label) continue;
      const color = label.inside ? contrast(series.color) : BLACK;
      if (label.upright) raster.textUp(label.x, label.y, label.text, color, s);
      else raster.text(label.x, label.y, label.text, color, s);
    }
  });
  raster.setClip(null);
  drawFrame(raster, plot);
  drawYLabel(raster, l, m, o.yLabel);
  drawTitle(raster, l, m, o.title);
  const box = l.legendBox;
  if (box && l.legend) drawLegend(raster, box, l.legend.x, l.legend.y, (x, top, _middle, color) => raster.fillRect(x, top, box.sample, GLYPH_ASCENT * s, color));
  return raster.toPng();
}

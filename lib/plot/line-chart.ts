/**
 * Line charts of one or more series against their row index, as PNG: frame, "nice" ticks with
 * grid lines, axis labels, title and a legend. Long series are reduced to their extent in each
 * pixel column before drawing, so a few hundred thousand points cost one pass over the data.
 */
import { typeError } from '../errors';
import * as check from '../validate';
import {
  type Axis,
  type ChartFrame,
  FRAME,
  GRID,
  type Margins,
  drawFrame,
  drawLegend,
  drawTitle,
  drawYLabel,
  drawYTicks,
  finiteRange,
  legend,
  margins,
  niceAxis,
  plotTop,
  rowMapper,
  yAxis,
  yRange,
} from './axes';
import { fitText, textWidth } from './font';
import { BLACK, Raster, type Rgb, WHITE } from './raster';
import { chartOptions, optionalNumber, seriesColor, side, text, values, yLimits } from './options';

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

/** Where everything of a chart goes; lineChart draws exactly this. */
export interface ChartLayout extends ChartFrame {
  x: Axis;
  /** The pixel column of the x value `x` (rounded; may lie outside the plot). */
  xToColumn(x: number): number;
}

const KNOWN = ['series', 'title', 'xLabel', 'yLabel', 'width', 'height', 'yMin', 'yMax', 'xStart'] as const;
const SERIES_KNOWN = ['values', 'label', 'color'] as const;

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

function validate(options: unknown): Checked {
  const o = chartOptions(options, KNOWN);
  if (!Array.isArray(o.series)) throw typeError('options.series', 'an array of series', o.series);
  const series = o.series.map((s: unknown, i) => {
    const name = `options.series[${i}]`;
    if (typeof s !== 'object' || s === null) throw typeError(name, 'an object', s);
    const so = check.options(s, name, SERIES_KNOWN);
    return {
      values: values(so.values, `${name}.values`),
      label: so.label === undefined ? undefined : text(so.label, `${name}.label`),
      color: seriesColor(so.color, `${name}.color`, i),
    };
  });
  const { yMin, yMax } = yLimits(o);
  return {
    series,
    title: text(o.title, 'options.title'),
    xLabel: text(o.xLabel, 'options.xLabel'),
    yLabel: text(o.yLabel, 'options.yLabel'),
    width: side(o.width, 'options.width', 900),
    height: side(o.height, 'options.height', 500),
    yMin,
    yMax,
    xStart: optionalNumber(o.xStart, 'options.xStart') ?? 0,
  };
}

/** ChartLayout plus the spacing lineChart draws with, kept out of the public type. */
interface Layout extends ChartLayout {
  margins: Margins;
}

function layout(o: Checked): Layout {
  const m = margins(o.width, o.height);
  const { s, pad, tick, gap, line } = m;
  const top = plotTop(m, o.title);
  const bottom = tick + gap + line + gap + line + pad;
  const plotHeight = Math.max(2, o.height - top - bottom);

  const [ylo, yhi] = yRange(finiteRange(o.series.map((series) => series.values)), o.yMin, o.yMax);
  const { y, left } = yAxis(m, ylo, yhi, o.yMin !== undefined, o.yMax !== undefined, plotHeight);
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
    yToRow: rowMapper(plot, y),
    margins: m,
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
  const { plot, fontScale: s, margins: m } = l;
  const { pad, tick, gap } = m;
  const bottom = plot.y + plot.height - 1;
  drawYTicks(r, l, m);
  for (const t of l.x.ticks) {
    const column = l.xToColumn(t.value);
    r.line(column, plot.y, column, bottom, GRID);
    r.line(column, bottom + 1, column, bottom + 1 + tick, FRAME);
    const w = textWidth(t.label, s);
    // Labels at the frame's ends are nudged inwards rather than cut by the image edge.
    const labelX = Math.min(l.width - w, Math.max(0, column - Math.floor(w / 2)));
    r.text(labelX, bottom + 1 + tick + gap, t.label, BLACK, s);
  }
  drawFrame(r, plot);

  const xLabel = fitText(o.xLabel, plot.width, s);
  r.text(plot.x + Math.floor((plot.width - textWidth(xLabel, s)) / 2), l.height - pad - m.line, xLabel, BLACK, s);
  drawYLabel(r, l, m, o.yLabel);
  drawTitle(r, l, m, o.title);
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

/** Top-right inside the plot, once two or more series are labelled; each sample is a short line. */
function drawSeriesLegend(r: Raster, l: ChartLayout, series: Checked['series']): void {
  const labelled = series.filter((s) => s.label !== undefined);
  if (labelled.length < 2) return;
  const s = l.fontScale;
  const sample = 20 * s;
  const inset = 6 * s;
  const maxLabel = Math.max(0, Math.floor(l.plot.width / 2) - sample - 3 * inset);
  const box = legend(labelled.map((x) => ({ label: x.label ?? '', color: x.color })), maxLabel, s, sample);
  const thickness = lineThickness(l);
  drawLegend(r, box, l.plot.x + l.plot.width - box.width - inset, l.plot.y + inset, (left, _top, middle, color) => r.line(left, middle, left + sample, middle, color, thickness));
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
  drawSeriesLegend(raster, l, o.series);
  return raster.toPng();
}

/** The PNG plots: decoded with an independent decoder and checked pixel by pixel. */
import { crc32 as zlibCrc32 } from 'node:zlib';

import {
  BLACK,
  ELLIPSIS,
  GLYPH_HEIGHT,
  NAN_COLOR,
  Raster,
  barChart,
  barChartLayout,
  crc32,
  encodePng,
  fitText,
  formatBarValue,
  glyph,
  imageGrid,
  imageGridLayout,
  lineChart,
  lineChartLayout,
  textWidth,
  type BarChartOptions,
  type ChartLayout,
  type ImageGridOptions,
  type LineChartOptions,
  type Rect,
} from '../lib/plot';
import { decodePng, pixel, type DecodedPng } from './png-decode';

type Rgb = [number, number, number];
const WHITE: Rgb = [255, 255, 255];
const BLUE: Rgb = [10, 20, 200];

const isDark = ([r, g, b]: Rgb): boolean => r + g + b < 3 * 128;

/** Pixels in the rectangle [x0, x1) × [y0, y1) that satisfy `test`. */
function count(image: DecodedPng, x0: number, y0: number, x1: number, y1: number, test: (c: Rgb) => boolean): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (test(pixel(image, x, y))) n++;
  return n;
}

const same = (a: Rgb) => (b: Rgb) => a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/** Deterministic bytes with flat, graded and noisy bands, so that every PNG filter type wins some row. */
function mixedImage(width: number, height: number): Uint8Array {
  const px = new Uint8Array(width * height * 3);
  let seed = 7;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        const band = Math.floor(y / 12);
        px[(y * width + x) * 3 + c] =
          band === 0 ? x * 2 + c : band === 1 ? y * 4 : band === 2 ? (x * y + c * 50) & 255 : band === 3 ? (seed >> 16) & 255 : 200;
      }
    }
  }
  return px;
}

function expectArgumentError(call: () => unknown, type: TypeErrorConstructor | RangeErrorConstructor, message: RegExp): void {
  let thrown: unknown;
  try {
    call();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as { code?: string }).code).toBe(type === TypeError ? 'ERR_INVALID_ARG_TYPE' : 'ERR_OUT_OF_RANGE');
}

describe('PNG encoding', () => {
  test('round-trips exactly through the test decoder, using every filter type', () => {
    const px = mixedImage(97, 61);
    const decoded = decodePng(encodePng(97, 61, px));
    expect(decoded.chunks).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect([decoded.width, decoded.height]).toEqual([97, 61]);
    expect(Buffer.from(decoded.rgb).equals(Buffer.from(px))).toBe(true);
    expect([...new Set(decoded.filters)].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  test('the decoder notices a damaged chunk, so a passing CRC check means something', () => {
    const png = encodePng(4, 4, new Uint8Array(48).fill(90));
    png[png.length - 20] ^= 0x01; // inside the IDAT data
    expect(() => decodePng(png)).toThrow(/CRC mismatch in IDAT/);
  });

  test('crc32 agrees with zlib', () => {
    const bytes = mixedImage(13, 50);
    expect(crc32(bytes)).toBe(zlibCrc32(bytes));
    expect(crc32(Buffer.from('IEND', 'latin1'))).toBe(0xae426082);
  });

  test('rejects pixel data of the wrong size', () => {
    expectArgumentError(() => encodePng(2, 2, new Uint8Array(11)), RangeError, /rgb\.length must be 12/);
    expectArgumentError(() => encodePng(0, 2, new Uint8Array(0)), RangeError, /width must be an integer/);
    expectArgumentError(() => encodePng(2, 2, [0] as never), TypeError, /rgb must be a Uint8Array/);
  });
});

describe('font and raster', () => {
  test('every printable ASCII character has its own glyph, none of them the missing-glyph box', () => {
    const box = glyph('\u0001').join();
    const seen = new Set<string>();
    for (let code = 32; code <= 126; code++) {
      const g = glyph(String.fromCharCode(code)).join();
      expect(g).not.toBe(box);
      seen.add(g);
    }
    expect(seen.size).toBe(95);
    expect(glyph(ELLIPSIS).join()).not.toBe(box);
  });

  test('fitText keeps text that fits and cuts the rest with an ellipsis', () => {
    expect(fitText('loss', 100)).toBe('loss');
    const cut = fitText('reconstruction error per step', 60);
    expect(cut).toBe('reconstru' + ELLIPSIS);
    expect(textWidth(cut)).toBeLessThanOrEqual(60);
    expect(textWidth(cut + 'x')).toBeGreaterThan(60);
    // A cut just after a space does not leave the space before the ellipsis.
    expect(fitText('a rather long label', 60)).toBe('a rather' + ELLIPSIS);
    expect(fitText('abc', 2)).toBe('');
  });

  test('upward text is the horizontal text turned a quarter anticlockwise', () => {
    const text = 'Loss 1.5';
    const w = textWidth(text, 2);
    const h = GLYPH_HEIGHT * 2;
    const flat = new Raster(w, h);
    flat.text(0, 0, text, BLACK, 2);
    const up = new Raster(h, w);
    up.textUp(0, 0, text, BLACK, 2);
    let lit = 0;
    for (let v = 0; v < h; v++) {
      for (let u = 0; u < w; u++) {
        expect(up.getPixel(v, w - 1 - u)).toEqual(flat.getPixel(u, v));
        if (flat.getPixel(u, v)[0] === 0) lit++;
      }
    }
    expect(lit).toBeGreaterThan(50);
  });

  test('lines have the asked thickness, survive far-away endpoints and skip non-finite ones', () => {
    const r = new Raster(40, 20);
    r.line(-1e15, 5, 1e15, 5, BLUE, 3);
    for (let x = 0; x < 40; x++) {
      expect([r.getPixel(x, 3), r.getPixel(x, 4), r.getPixel(x, 5), r.getPixel(x, 6), r.getPixel(x, 7)]).toEqual([WHITE, BLUE, BLUE, BLUE, WHITE]);
    }
    r.line(0, 15, NaN, 15, BLACK, 1);
    expect(r.getPixel(0, 15)).toEqual(WHITE);
    r.setClip({ x: 10, y: 0, width: 5, height: 20 });
    r.line(0, 12, 39, 12, BLACK, 1);
    expect([r.getPixel(9, 12), r.getPixel(10, 12), r.getPixel(14, 12), r.getPixel(15, 12)]).toEqual([WHITE, BLACK, BLACK, WHITE]);
  });
});

describe('lineChart', () => {
  const constant = (value: number, n = 50): LineChartOptions => ({
    series: [{ values: new Float64Array(n).fill(value), color: BLUE }],
    title: 'Loss',
    xLabel: 'step',
    yLabel: 'error',
  });

  test('has the asked size, valid chunks and a white background', () => {
    const image = decodePng(lineChart({ ...constant(1), width: 640, height: 300 }));
    expect([image.width, image.height]).toEqual([640, 300]);
    expect(pixel(image, 0, 0)).toEqual(WHITE);
    expect(pixel(image, 639, 299)).toEqual(WHITE);
    const defaults = decodePng(lineChart(constant(1)));
    expect([defaults.width, defaults.height]).toEqual([900, 500]);
  });

  test('frames the plot just outside the data area', () => {
    const options = constant(1);
    const { plot } = lineChartLayout(options);
    const image = decodePng(lineChart(options));
    const [left, top, right, bottom] = [plot.x - 1, plot.y - 1, plot.x + plot.width, plot.y + plot.height];
    const middleX = plot.x + (plot.width >> 1);
    const middleY = plot.y + (plot.height >> 1);
    for (const [x, y] of [[left, middleY], [right, middleY], [middleX, top], [middleX, bottom], [left, top], [right, bottom]]) {
      expect(isDark(pixel(image, x, y))).toBe(true);
    }
    // (Left of the frame and below it are the tick marks; right and above there is nothing.)
    expect(pixel(image, right + 1, middleY)).toEqual(WHITE);
    expect(pixel(image, middleX, top - 1)).toEqual(WHITE);
    expect(pixel(image, middleX, top + 1)).not.toEqual(pixel(image, middleX, top));
  });

  test('maps a fixed y range linearly onto the plot rows', () => {
    const layout = lineChartLayout({ ...constant(0.25), yMin: 0, yMax: 1 });
    const { plot } = layout;
    expect(layout.yToRow(1)).toBe(plot.y);
    expect(layout.yToRow(0)).toBe(plot.y + plot.height - 1);
    expect(layout.yToRow(0.25)).toBe(plot.y + Math.round(0.75 * (plot.height - 1)));
    expect(layout.xToColumn(0)).toBe(plot.x);
    expect(layout.xToColumn(49)).toBe(plot.x + plot.width - 1);
  });

  test.each([
    ['a fixed range', { yMin: 0, yMax: 1 }],
    ['the automatic range', {}],
  ])('draws a constant series on its row, with %s', (_name, range) => {
    const options = { ...constant(0.25), ...range };
    const { plot, yToRow } = lineChartLayout(options);
    const image = decodePng(lineChart(options));
    const row = yToRow(0.25);
    expect(row).toBeGreaterThan(plot.y);
    expect(row).toBeLessThan(plot.y + plot.height - 1);
    for (let x = plot.x; x < plot.x + plot.width; x += 7) {
      expect(pixel(image, x, row)).toEqual(BLUE);
      expect(pixel(image, x, row - 5)).not.toEqual(BLUE);
      expect(pixel(image, x, row + 5)).not.toEqual(BLUE);
    }
    // Nothing of the series outside its own rows (the line is 2 px thick).
    expect(count(image, 0, 0, image.width, image.height, same(BLUE))).toBe(count(image, 0, row, image.width, row + 2, same(BLUE)));
  });

  test('picks 1/2/5 × 10^k ticks that cover the data', () => {
    const values = [0.13, 7.9, 3, 4.4];
    const { x, y, plot, yToRow } = lineChartLayout({ series: [{ values }], title: 't', xLabel: 'x', yLabel: 'y', xStart: 100 });
    for (const axis of [x, y]) {
      const mantissa = axis.step / 10 ** Math.floor(Math.log10(axis.step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)).toBe(true);
      expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
      for (const t of axis.ticks) {
        expect(Math.abs(t.value / axis.step - Math.round(t.value / axis.step))).toBeLessThan(1e-9);
        expect(t.value).toBeGreaterThanOrEqual(axis.min - 1e-9);
        expect(t.value).toBeLessThanOrEqual(axis.max + 1e-9);
        expect(Number(t.label)).toBeCloseTo(t.value, 9);
      }
    }
    expect(y.min).toBeLessThanOrEqual(0.13);
    expect(y.max).toBeGreaterThanOrEqual(7.9);
    expect([x.min, x.max]).toEqual([100, 103]);
    expect(yToRow(y.min)).toBe(plot.y + plot.height - 1);
  });

  test('keeps a given yMin or yMax exactly, even beyond all the data', () => {
    const chart = (range: object): ChartLayout => lineChartLayout({ ...constant(3), ...range });
    expect([chart({ yMin: 10 }).y.min, chart({ yMin: 10 }).y.max]).toEqual([10, 11]);
    expect([chart({ yMax: -10 }).y.min, chart({ yMax: -10 }).y.max]).toEqual([-11, -10]);
    const fixedLow = chart({ yMin: 0.5 });
    expect(fixedLow.y.min).toBe(0.5);
    expect(fixedLow.y.max).toBeGreaterThan(3);
    // A constant series without a fixed range sits strictly inside the padded axis.
    const free = chart({});
    expect(free.y.min).toBeLessThan(3);
    expect(free.y.max).toBeGreaterThan(3);
  });

  test('the title darkens pixels in the title band, and a long title is cut to fit', () => {
    const { plot } = lineChartLayout(constant(1));
    const band = (title: string): DecodedPng => decodePng(lineChart({ ...constant(1), title }));
    const titled = band('Reconstruction error');
    const blank = band(' ');
    // The top tick label reaches a few rows above the frame, so the band stops short of it.
    const bandEnd = plot.y - 8;
    expect(count(titled, 0, 0, 900, bandEnd, isDark)).toBeGreaterThan(100);
    expect(count(blank, 0, 0, 900, bandEnd, isDark)).toBe(0);
    const long = band('a very long title '.repeat(30));
    let leftmost = 900;
    let rightmost = -1;
    for (let y = 0; y < bandEnd; y++) {
      for (let x = 0; x < 900; x++) {
        if (isDark(pixel(long, x, y))) {
          leftmost = Math.min(leftmost, x);
          rightmost = Math.max(rightmost, x);
        }
      }
    }
    expect(leftmost).toBeGreaterThan(0);
    expect(rightmost).toBeLessThan(899);
    expect(rightmost - leftmost).toBeGreaterThan(700);
  });

  test('NaN values leave a gap', () => {
    const values = [1, 1, 1, 1, NaN, NaN, NaN, 1, 1, 1];
    const options: LineChartOptions = { series: [{ values, color: BLUE }], title: 'gaps', xLabel: 'x', yLabel: 'y' };
    const { xToColumn, yToRow } = lineChartLayout(options);
    const image = decodePng(lineChart(options));
    const row = yToRow(1);
    expect(pixel(image, xToColumn(1), row)).toEqual(BLUE);
    expect(pixel(image, xToColumn(8), row)).toEqual(BLUE);
    expect(pixel(image, xToColumn(5), row)).not.toEqual(BLUE);
    expect(pixel(image, xToColumn(4.5), row)).not.toEqual(BLUE);
  });

  test.each([
    ['no values', [{ values: [] as number[], color: BLUE }]],
    ['only NaN', [{ values: [NaN, NaN, NaN], color: BLUE }]],
    ['no series', []],
  ])('with %s gives a valid, labelled, empty chart', (_name, series) => {
    const options: LineChartOptions = { series, title: 'Nothing yet', xLabel: 'epoch', yLabel: 'loss', width: 300, height: 200 };
    const { plot } = lineChartLayout(options);
    const image = decodePng(lineChart(options));
    expect([image.width, image.height]).toEqual([300, 200]);
    expect(count(image, 0, 0, 300, 200, same(BLUE))).toBe(0);
    expect(count(image, 0, 0, 300, plot.y - 8, isDark)).toBeGreaterThan(20); // title
    expect(count(image, plot.x, plot.y + plot.height + 1, 300, 200, isDark)).toBeGreaterThan(20); // x ticks and label
  });

  test('shows a legend only when two or more series are labelled', () => {
    const RED: Rgb = [200, 30, 30];
    const nothing = [NaN];
    // All-NaN series draw no line, so any pixel of their colours belongs to the legend.
    const legend = decodePng(
      lineChart({ series: [{ values: nothing, label: 'train', color: BLUE }, { values: nothing, label: 'test', color: RED }], title: 't', xLabel: 'x', yLabel: 'y' }),
    );
    expect(count(legend, 0, 0, 900, 500, same(BLUE))).toBeGreaterThan(10);
    expect(count(legend, 0, 0, 900, 500, same(RED))).toBeGreaterThan(10);
    const single = decodePng(lineChart({ series: [{ values: nothing, label: 'train', color: BLUE }, { values: nothing, color: RED }], title: 't', xLabel: 'x', yLabel: 'y' }));
    expect(count(single, 0, 0, 900, 500, (c) => same(BLUE)(c) || same(RED)(c))).toBe(0);
  });

  test('renders 200,000 points, reaching every column of the plot', () => {
    const n = 200_000;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.sin(i / 5000) + ((i * 7919) % 100) / 400;
    const options: LineChartOptions = { series: [{ values, color: BLUE }], title: 'long run', xLabel: 'step', yLabel: 'loss' };
    const { plot } = lineChartLayout(options);
    const image = decodePng(lineChart(options));
    expect([image.width, image.height]).toEqual([900, 500]);
    for (let x = plot.x; x < plot.x + plot.width; x++) {
      expect(count(image, x, plot.y, x + 1, plot.y + plot.height, same(BLUE))).toBeGreaterThan(0);
    }
  });

  test('is deterministic, and arrays and typed arrays of the same values draw the same', () => {
    const values = [3, 1, 4, 1, 5, 9, 2, 6, NaN, 5, 3];
    const options: LineChartOptions = { series: [{ values, label: 'a' }, { values: values.map((v) => v / 2), label: 'b' }], title: 'pi', xLabel: 'i', yLabel: 'v' };
    const first = lineChart(options);
    expect(lineChart(options).equals(first)).toBe(true);
    expect(lineChart({ ...options, series: [{ values: Float64Array.from(values), label: 'a' }, options.series[1]] }).equals(first)).toBe(true);
    expect(lineChart({ ...options, title: 'PI' }).equals(first)).toBe(false);
  });

  test('renders at the smallest and a large size', () => {
    for (const [width, height] of [[64, 64], [2000, 1200]]) {
      const image = decodePng(lineChart({ ...constant(2), width, height }));
      expect([image.width, image.height]).toEqual([width, height]);
      expect(count(image, 0, 0, width, height, same(BLUE))).toBeGreaterThan(0);
    }
  });

  const good = constant(1);
  test.each<[string, unknown, TypeErrorConstructor | RangeErrorConstructor, RegExp]>([
    ['no options', undefined, TypeError, /options must be an object; got undefined/],
    ['a misspelt option', { ...good, xlabel: 'x' }, RangeError, /options\.xlabel must be absent/],
    ['series not an array', { ...good, series: { values: [1] } }, TypeError, /options\.series must be an array/],
    ['a series that is not an object', { ...good, series: [null] }, TypeError, /options\.series\[0\] must be an object; got null/],
    ['values missing', { ...good, series: [{}] }, TypeError, /options\.series\[0\]\.values must be an array or typed array/],
    ['a string among the values', { ...good, series: [{ values: [1, '2'] }] }, TypeError, /options\.series\[0\]\.values\[1\] must be a number; got '2'/],
    ['BigInt values', { ...good, series: [{ values: new BigInt64Array(2) }] }, TypeError, /values must be an array or typed array of numbers/],
    ['a label that is not a string', { ...good, series: [{ values: [1], label: 3 }] }, TypeError, /options\.series\[0\]\.label must be a string/],
    ['a colour of two channels', { ...good, series: [{ values: [1], color: [1, 2] }] }, RangeError, /options\.series\[0\]\.color\.length must be 3/],
    ['a colour channel above 255', { ...good, series: [{ values: [1], color: [1, 2, 256] }] }, RangeError, /color\[2\] must be an integer in \[0, 255\]/],
    ['title missing', { ...good, title: undefined }, TypeError, /options\.title must be a string; got undefined/],
    ['yLabel a number', { ...good, yLabel: 5 }, TypeError, /options\.yLabel must be a string/],
    ['width too small', { ...good, width: 63 }, RangeError, /options\.width must be an integer in \[64, 8192\]; got 63/],
    ['height too large', { ...good, height: 8193 }, RangeError, /options\.height must be an integer in \[64, 8192\]/],
    ['width fractional', { ...good, width: 100.5 }, RangeError, /options\.width .*got 100\.5/],
    ['width a string', { ...good, width: '900' }, TypeError, /options\.width must be an integer/],
    ['yMin NaN', { ...good, yMin: NaN }, RangeError, /options\.yMin must be a number .*got NaN/],
    ['yMax not above yMin', { ...good, yMin: 2, yMax: 2 }, RangeError, /options\.yMax must be greater than options\.yMin \(2\); got 2/],
    ['xStart Infinity', { ...good, xStart: Infinity }, RangeError, /options\.xStart .*got Infinity/],
  ])('rejects %s', (_name, options, type, message) => {
    expectArgumentError(() => lineChart(options as LineChartOptions), type, message);
    expectArgumentError(() => lineChartLayout(options as LineChartOptions), type, message);
  });
});

describe('barChart', () => {
  // Light colours, so that the black text of labels is told apart from the bars by isDark.
  const PINK: Rgb = [250, 170, 190];
  const GREEN: Rgb = [150, 230, 150];
  const NAVY: Rgb = [20, 30, 110];
  const scenarios = ['class', 'task', 'domain', 'permuted'];
  const accuracy = (extra: Partial<BarChartOptions> = {}): BarChartOptions => ({
    groups: scenarios,
    series: [
      { label: 'indeependence', values: [88.4, 97.9, 93.1, 95.2], color: PINK },
      { label: 'EWC', values: [19.8, 96.5, 63.2, 90.1], color: GREEN },
    ],
    title: 'Final accuracy',
    yLabel: 'accuracy (%)',
    yMin: 0,
    yMax: 100,
    ...extra,
  });
  /** The first row from the top of the plot, in the column `x`, that has colour `color`; -1 if none. */
  const topRow = (image: DecodedPng, plot: Rect, x: number, color: Rgb): number => {
    for (let y = plot.y; y < plot.y + plot.height; y++) if (same(color)(pixel(image, x, y))) return y;
    return -1;
  };
  const middle = (r: Rect): number => r.x + (r.width >> 1);

  test('has the asked size, valid chunks and a white background', () => {
    const image = decodePng(barChart({ ...accuracy(), width: 640, height: 300 }));
    expect([image.width, image.height]).toEqual([640, 300]);
    expect(pixel(image, 0, 0)).toEqual(WHITE);
    expect(pixel(image, 639, 299)).toEqual(WHITE);
    const defaults = decodePng(barChart(accuracy()));
    expect([defaults.width, defaults.height]).toEqual([900, 500]);
  });

  test("bars rise from the baseline to their value's row", () => {
    const options = accuracy();
    const layout = barChartLayout(options);
    const { plot, yToRow, bars, baseline } = layout;
    const image = decodePng(barChart(options));
    expect(baseline).toBe(yToRow(0));
    expect(baseline).toBe(plot.y + plot.height - 1);
    options.series.forEach((series, i) => {
      scenarios.forEach((_, g) => {
        const bar = bars[i][g] as Rect;
        const value = series.values[g];
        const color = series.color as Rgb;
        expect(bar.y).toBe(yToRow(value));
        expect(bar.y + bar.height - 1).toBe(baseline);
        // In the decoded picture: the colour starts exactly on the value's row and fills the bar.
        expect(topRow(image, plot, middle(bar), color)).toBe(yToRow(value));
        expect(count(image, middle(bar), plot.y, middle(bar) + 1, plot.y + plot.height, same(color))).toBe(bar.height);
        expect(count(image, bar.x, bar.y, bar.x + bar.width, bar.y + bar.height, same(color))).toBe(bar.width * bar.height);
      });
    });
    // Bars of one group sit side by side, in series order, inside the group's columns.
    for (let g = 0; g < scenarios.length; g++) {
      const [a, b] = [bars[0][g] as Rect, bars[1][g] as Rect];
      const group = layout.groups[g];
      expect(b.x).toBe(a.x + a.width);
      expect(a.x).toBeGreaterThan(group.x);
      expect(b.x + b.width).toBeLessThan(group.x + group.width);
    }
    // 97.9 stands higher than 19.8.
    expect((bars[0][1] as Rect).y).toBeLessThan((bars[1][0] as Rect).y);
  });

  test('the automatic range starts at 0 and covers the data; negative bars hang from the zero line', () => {
    const positive = barChartLayout({ ...accuracy(), yMin: undefined, yMax: undefined });
    expect(positive.y.min).toBe(0);
    expect(positive.y.max).toBeGreaterThanOrEqual(97.9);
    const options: BarChartOptions = { groups: ['a', 'b'], series: [{ label: 'delta', values: [-3, 2], color: NAVY }], title: 't', yLabel: 'y' };
    const { y, yToRow, baseline, bars, plot } = barChartLayout(options);
    expect(y.min).toBeLessThanOrEqual(-3);
    expect(y.max).toBeGreaterThanOrEqual(2);
    expect(baseline).toBe(yToRow(0));
    const [down, up] = bars[0] as Rect[];
    expect([down.y, down.y + down.height - 1]).toEqual([baseline, yToRow(-3)]);
    expect([up.y, up.y + up.height - 1]).toEqual([yToRow(2), baseline]);
    // The zero line crosses the plot between the groups.
    const image = decodePng(barChart(options));
    expect(isDark(pixel(image, plot.x + 1, baseline))).toBe(true);
    expect(isDark(pixel(image, plot.x + 1, baseline - 2))).toBe(false);
  });

  test('a bar beyond a fixed end is cut at the frame; a value of 0 still shows a one-row bar', () => {
    const options = accuracy({ series: [{ label: 'a', values: [150, 0, -5, 50], color: NAVY }] });
    const { bars, plot, baseline } = barChartLayout(options);
    const [over, zero, under] = bars[0] as Rect[];
    expect([over.y, over.height]).toEqual([plot.y, plot.height]);
    expect([zero.y, zero.height]).toEqual([baseline, 1]);
    expect([under.y, under.height]).toEqual([baseline, 1]);
    const image = decodePng(barChart(options));
    // Nothing of the bars outside the plot.
    expect(count(image, 0, 0, image.width, image.height, same(NAVY))).toBe(count(image, plot.x, plot.y, plot.x + plot.width, plot.y + plot.height, same(NAVY)));
  });

  test('NaN and infinite values leave no bar', () => {
    const options = accuracy({ series: [{ label: 'a', values: [50, NaN, Infinity, 60], color: NAVY }] });
    const { bars, groups, plot } = barChartLayout(options);
    expect(bars[0].map((b) => b !== null)).toEqual([true, false, false, true]);
    const image = decodePng(barChart(options));
    const inGroup = (g: number): number => count(image, groups[g].x, plot.y, groups[g].x + groups[g].width, plot.y + plot.height, same(NAVY));
    expect([inGroup(0) > 0, inGroup(1), inGroup(2), inGroup(3) > 0]).toEqual([true, 0, 0, true]);
  });

  test('value labels darken the band just above each bar, and only with valueLabels', () => {
    const options = accuracy({ yMax: undefined, valueLabels: true });
    const { valueLabels, bars, plot } = barChartLayout(options);
    const labelled = decodePng(barChart(options));
    const plain = decodePng(barChart({ ...options, valueLabels: false }));
    expect(barChartLayout({ ...options, valueLabels: false }).valueLabels.flat().every((l) => l === null)).toBe(true);
    expect(valueLabels[0][1]?.text).toBe('97.9');
    options.series.forEach((series, i) => {
      scenarios.forEach((_, g) => {
        const label = valueLabels[i][g];
        const bar = bars[i][g] as Rect;
        expect(label).not.toBeNull();
        if (!label) return;
        expect(label.text).toBe(formatBarValue(series.values[g]));
        expect(label.inside).toBe(false);
        // Over the bar, within the plot, centred on the bar.
        expect(label.y + label.height).toBeLessThan(bar.y);
        expect(label.y).toBeGreaterThanOrEqual(plot.y);
        expect(Math.abs(label.x + label.width / 2 - (bar.x + bar.width / 2))).toBeLessThanOrEqual(1);
        const band = (image: DecodedPng): number => count(image, label.x, label.y, label.x + label.width, label.y + label.height, isDark);
        expect(band(labelled)).toBeGreaterThan(5);
        expect(band(plain)).toBe(0);
      });
    });
    // Automatic ends leave room for the label of the tallest bar.
    expect(barChartLayout(options).y.max).toBeGreaterThan(barChartLayout({ ...options, valueLabels: false }).y.max);
  });

  test('a value label goes inside the bar when a fixed yMax leaves no room above it, in a colour that contrasts', () => {
    const options = accuracy({ series: [{ label: 'a', values: [100, 40, 40, 40], color: NAVY }], valueLabels: true });
    const { valueLabels, bars } = barChartLayout(options);
    const label = valueLabels[0][0];
    const bar = bars[0][0] as Rect;
    expect(label?.inside).toBe(true);
    expect(valueLabels[0][1]?.inside).toBe(false);
    if (!label) return;
    expect(label.y).toBeGreaterThan(bar.y);
    expect(label.y + label.height).toBeLessThan(bar.y + bar.height);
    const image = decodePng(barChart(options));
    expect(count(image, label.x, label.y, label.x + label.width, label.y + label.height, same(WHITE))).toBeGreaterThan(5);
  });

  test('a value label too wide for its bar turns upright, and is left out where that does not fit either', () => {
    const series = Array.from({ length: 12 }, (_, i) => ({ label: `m${i}`, values: [90 + i / 10, 50] }));
    const wide = barChartLayout({ groups: ['a', 'b'], series: series.slice(0, 2), title: 't', yLabel: 'y', valueLabels: true });
    expect(wide.valueLabels[0][0]?.upright).toBe(false);
    const narrow = barChartLayout({ groups: ['a', 'b'], series, title: 't', yLabel: 'y', valueLabels: true, width: 500 });
    const label = narrow.valueLabels[0][0];
    expect(label?.upright).toBe(true);
    if (label) expect(label.height).toBeGreaterThan(label.width);
    const image = decodePng(barChart({ groups: ['a', 'b'], series, title: 't', yLabel: 'y', valueLabels: true, width: 500 }));
    if (label) expect(count(image, label.x, label.y, label.x + label.width, label.y + label.height, isDark)).toBeGreaterThan(5);
    const crowded = barChartLayout({ groups: scenarios, series: [...series, ...series].map((s) => ({ ...s, values: [1, 2, 3, 4] })), title: 't', yLabel: 'y', valueLabels: true, width: 300 });
    expect(crowded.valueLabels.flat().every((l) => l === null)).toBe(true);
  });

  test('formatBarValue gives three significant digits without trailing zeros', () => {
    expect([97.94, 0.9794, 5, 12, 100, 99.96, 1234, -0.5, 0].map(formatBarValue)).toEqual(['97.9', '0.979', '5', '12', '100', '100', '1234', '-0.5', '0']);
    expect([1.5e7, 0.00042].map(formatBarValue)).toEqual(['1.5e7', '4.2e-4']);
  });

  test('group names darken the band under their own group, and a long name is cut to fit', () => {
    const named = (groups: string[]): BarChartOptions => accuracy({ groups, series: [{ label: 'a', values: [50, 50, 50], color: PINK }] });
    const { plot, groups } = barChartLayout(named(['', 'task', '']));
    const under = (image: DecodedPng, g: number): number => count(image, groups[g].x, plot.y + plot.height + 1, groups[g].x + groups[g].width, image.height, isDark);
    const one = decodePng(barChart(named(['', 'task', ''])));
    const none = decodePng(barChart(named(['', '', ''])));
    expect(under(one, 1) - under(none, 1)).toBeGreaterThan(20);
    expect(under(one, 0)).toBe(under(none, 0));
    expect(under(one, 2)).toBe(under(none, 2));
    const long = barChartLayout(named(['a', 'an extremely long scenario name that cannot fit under its group '.repeat(2), 'c']));
    expect(long.groups[1].label.endsWith(ELLIPSIS)).toBe(true);
    expect(textWidth(long.groups[1].label, long.fontScale)).toBeLessThanOrEqual(long.groups[1].width);
    expect(long.groups[0].label).toBe('a');
  });

  test('shows a legend right of the plot with two or more series, none with one', () => {
    // All-NaN series draw no bars, so any pixel of their colours belongs to the legend.
    const options = accuracy({ series: [{ label: 'a', values: [NaN, NaN, NaN, NaN], color: NAVY }, { label: 'b', values: [NaN, NaN, NaN, NaN], color: GREEN }] });
    const { legend, plot } = barChartLayout(options);
    expect(legend).not.toBeNull();
    if (!legend) return;
    expect(legend.x).toBeGreaterThan(plot.x + plot.width);
    expect(legend.x + legend.width).toBeLessThanOrEqual(900);
    const image = decodePng(barChart(options));
    const inLegend = (c: Rgb): number => count(image, legend.x, legend.y, legend.x + legend.width, legend.y + legend.height, same(c));
    expect(inLegend(NAVY)).toBeGreaterThan(10);
    expect(inLegend(GREEN)).toBeGreaterThan(10);
    expect(count(image, 0, 0, 900, 500, same(NAVY))).toBe(inLegend(NAVY));
    expect(count(image, legend.x, legend.y, legend.x + legend.width, legend.y + legend.height, isDark)).toBeGreaterThan(10); // labels
    const single = accuracy({ series: [{ label: 'a', values: [NaN, NaN, NaN, NaN], color: NAVY }] });
    expect(barChartLayout(single).legend).toBeNull();
    expect(count(decodePng(barChart(single)), 0, 0, 900, 500, same(NAVY))).toBe(0);
    // Without a legend the plot takes the width the legend would have had.
    expect(barChartLayout(single).plot.width).toBeGreaterThan(plot.width);
  });

  test('one group with one bar per method', () => {
    const options: BarChartOptions = {
      groups: ['split MNIST'],
      series: [PINK, GREEN, NAVY].map((color, i) => ({ label: `method ${i}`, values: [0.5 + i / 10], color })),
      title: 'Final accuracy',
      yLabel: 'accuracy',
      valueLabels: true,
    };
    const { bars, yToRow, plot } = barChartLayout(options);
    const image = decodePng(barChart(options));
    options.series.forEach((series, i) => {
      const bar = bars[i][0] as Rect;
      expect(topRow(image, plot, middle(bar), series.color as Rgb)).toBe(yToRow(series.values[0]));
    });
  });

  test('with no series or no finite value gives a valid, labelled, empty chart', () => {
    for (const series of [[], [{ label: 'a', values: [NaN, NaN], color: NAVY }]]) {
      const options: BarChartOptions = { groups: ['x', 'y'], series, title: 'Nothing yet', yLabel: 'accuracy', width: 300, height: 200, valueLabels: true };
      const { plot, y } = barChartLayout(options);
      expect([y.min, y.max]).toEqual([0, 1]);
      const image = decodePng(barChart(options));
      expect([image.width, image.height]).toEqual([300, 200]);
      expect(count(image, 0, 0, 300, 200, same(NAVY))).toBe(0);
      expect(count(image, 0, 0, 300, plot.y - 8, isDark)).toBeGreaterThan(20); // title
      expect(count(image, plot.x, plot.y + plot.height + 1, 300, 200, isDark)).toBeGreaterThan(10); // group names
    }
  });

  test('is deterministic, and arrays and typed arrays of the same values draw the same', () => {
    const options = accuracy({ valueLabels: true, series: [{ label: 'a', values: [1, 2, NaN, 4] }, { label: 'b', values: [4, 3, 2, 1] }], yMin: undefined, yMax: undefined });
    const first = barChart(options);
    expect(barChart(options).equals(first)).toBe(true);
    expect(barChart({ ...options, series: [{ label: 'a', values: Float32Array.from([1, 2, NaN, 4]) }, options.series[1]] }).equals(first)).toBe(true);
    expect(barChart({ ...options, title: 'other' }).equals(first)).toBe(false);
  });

  test('renders at the smallest and a large size', () => {
    for (const [width, height] of [[64, 64], [2000, 1200]]) {
      const image = decodePng(barChart({ ...accuracy({ valueLabels: true }), width, height }));
      expect([image.width, image.height]).toEqual([width, height]);
      expect(count(image, 0, 0, width, height, same(PINK))).toBeGreaterThan(0);
    }
  });

  const good = accuracy();
  test.each<[string, unknown, TypeErrorConstructor | RangeErrorConstructor, RegExp]>([
    ['no options', undefined, TypeError, /options must be an object; got undefined/],
    ['a misspelt option', { ...good, valueLabel: true }, RangeError, /options\.valueLabel must be absent/],
    ['groups missing', { ...good, groups: undefined }, TypeError, /options\.groups must be an array of strings; got undefined/],
    ['no groups', { ...good, groups: [] }, RangeError, /options\.groups\.length must be at least 1; got 0/],
    ['a group name that is not a string', { ...good, groups: ['a', 2, 'c', 'd'] }, TypeError, /options\.groups\[1\] must be a string; got 2/],
    ['series not an array', { ...good, series: { label: 'a', values: [1] } }, TypeError, /options\.series must be an array/],
    ['a series that is not an object', { ...good, series: [null] }, TypeError, /options\.series\[0\] must be an object; got null/],
    ['a series without a label', { ...good, series: [{ values: [1, 2, 3, 4] }] }, TypeError, /options\.series\[0\]\.label must be a string; got undefined/],
    ['a misspelt series option', { ...good, series: [{ label: 'a', value: [1, 2, 3, 4] }] }, RangeError, /options\.series\[0\]\.value must be absent/],
    ['values missing', { ...good, series: [{ label: 'a' }] }, TypeError, /options\.series\[0\]\.values must be an array or typed array/],
    ['a string among the values', { ...good, series: [{ label: 'a', values: [1, '2', 3, 4] }] }, TypeError, /options\.series\[0\]\.values\[1\] must be a number; got '2'/],
    ['too few values', { ...good, series: [{ label: 'a', values: [1, 2, 3] }] }, RangeError, /options\.series\[0\]\.values\.length must be 4 \(one per group\); got 3/],
    ['a colour of two channels', { ...good, series: [{ label: 'a', values: [1, 2, 3, 4], color: [1, 2] }] }, RangeError, /options\.series\[0\]\.color\.length must be 3/],
    ['a colour channel below 0', { ...good, series: [{ label: 'a', values: [1, 2, 3, 4], color: [-1, 2, 3] }] }, RangeError, /color\[0\] must be an integer in \[0, 255\]/],
    ['title missing', { ...good, title: undefined }, TypeError, /options\.title must be a string; got undefined/],
    ['yLabel a number', { ...good, yLabel: 5 }, TypeError, /options\.yLabel must be a string/],
    ['valueLabels a string', { ...good, valueLabels: 'yes' }, TypeError, /options\.valueLabels must be a boolean; got 'yes'/],
    ['width too small', { ...good, width: 63 }, RangeError, /options\.width must be an integer in \[64, 8192\]; got 63/],
    ['height a string', { ...good, height: '500' }, TypeError, /options\.height must be an integer/],
    ['yMin Infinity', { ...good, yMin: -Infinity }, RangeError, /options\.yMin must be a number .*got -Infinity/],
    ['yMax not above yMin', { ...good, yMin: 5, yMax: 1 }, RangeError, /options\.yMax must be greater than options\.yMin \(5\); got 1/],
  ])('rejects %s', (_name, options, type, message) => {
    expectArgumentError(() => barChart(options as BarChartOptions), type, message);
    expectArgumentError(() => barChartLayout(options as BarChartOptions), type, message);
  });
});

describe('imageGrid', () => {
  const W = 4;
  const H = 3;
  const filled = (v: number): Float32Array => new Float32Array(W * H).fill(v);

  test('lays the images out on a white page at the asked magnification', () => {
    const options: ImageGridOptions = { images: [filled(0), filled(1), filled(0)], width: W, height: H, columns: 2 };
    const layout = imageGridLayout(options);
    const image = decodePng(imageGrid(options));
    // Default scale 3, 4 px gaps: two 12×9 images per row, two rows.
    expect([image.width, image.height]).toEqual([4 + 2 * (12 + 4), 4 + 2 * (9 + 4)]);
    expect([layout.width, layout.height]).toEqual([image.width, image.height]);
    expect(layout.cells).toEqual([
      { x: 4, y: 4 },
      { x: 20, y: 4 },
      { x: 4, y: 17 },
    ]);
    expect(pixel(image, 0, 0)).toEqual(WHITE);
    expect(pixel(image, image.width - 1, image.height - 1)).toEqual(WHITE);
  });

  test('draws value 1 white, 0 black, clamps values outside [0, 1] and marks NaN', () => {
    const gradient = new Float32Array([0, 0.5, 1, 2, -1, NaN, 0.25, 0.75, 1, 1, 1, 1]);
    const options: ImageGridOptions = { images: [filled(1), filled(0), gradient], width: W, height: H, columns: 3, scale: 2 };
    const { cells, imageWidth, imageHeight } = imageGridLayout(options);
    const image = decodePng(imageGrid(options));
    const cell = (i: number): [number, number, number, number] => [cells[i].x, cells[i].y, cells[i].x + imageWidth, cells[i].y + imageHeight];
    expect(count(image, ...cell(0), same(WHITE))).toBe(imageWidth * imageHeight);
    expect(count(image, ...cell(1), same([0, 0, 0]))).toBe(imageWidth * imageHeight);
    const value = (i: number): Rgb => pixel(image, cells[2].x + (i % W) * 2 + 1, cells[2].y + Math.floor(i / W) * 2 + 1);
    expect([0, 1, 2, 3, 4, 5, 6].map(value)).toEqual([[0, 0, 0], [128, 128, 128], WHITE, WHITE, [0, 0, 0], [...NAN_COLOR], [64, 64, 64]]);
  });

  test('captions darken the band under each image; a title darkens the band above', () => {
    const white = new Float32Array(28 * 28).fill(1);
    const options: ImageGridOptions = { images: [white, white], width: 28, height: 28, columns: 2, captions: ['input', 'output'], title: 'Samples' };
    const { cells, imageWidth, imageHeight, captionHeight } = imageGridLayout(options);
    const image = decodePng(imageGrid(options));
    expect(captionHeight).toBeGreaterThan(0);
    for (const c of cells) {
      expect(count(image, c.x, c.y + imageHeight + 1, c.x + imageWidth, c.y + imageHeight + captionHeight, isDark)).toBeGreaterThan(10);
    }
    expect(count(image, 0, 0, image.width, cells[0].y - 1, isDark)).toBeGreaterThan(20);
    const plain = decodePng(imageGrid({ ...options, captions: undefined, title: undefined }));
    // Without captions and title the only non-white pixels are the images' frames (the images are white).
    expect(count(plain, 0, 0, plain.width, plain.height, isDark)).toBe(0);
  });

  test('is deterministic', () => {
    const images = [new Float32Array(Array.from({ length: W * H }, (_, i) => i / (W * H))), filled(0.3)];
    const options: ImageGridOptions = { images, width: W, height: H, columns: 1, captions: ['a', 'b'], title: 'x' };
    expect(imageGrid(options).equals(imageGrid(options))).toBe(true);
  });

  const good: ImageGridOptions = { images: [filled(0)], width: W, height: H, columns: 1 };
  test.each<[string, unknown, TypeErrorConstructor | RangeErrorConstructor, RegExp]>([
    ['no options', undefined, TypeError, /options must be an object/],
    ['images not an array', { ...good, images: filled(0) }, TypeError, /options\.images must be an array of Float32Array/],
    ['no images', { ...good, images: [] }, RangeError, /options\.images\.length must be at least 1; got 0/],
    ['an image of the wrong size', { ...good, images: [filled(0), new Float32Array(11)] }, RangeError, /options\.images\[1\]\.length must be 12 .*got 11/],
    ['an image that is not a Float32Array', { ...good, images: [new Float64Array(12)] }, TypeError, /options\.images\[0\] must be a Float32Array/],
    ['width zero', { ...good, width: 0 }, RangeError, /options\.width must be an integer/],
    ['columns a string', { ...good, columns: '2' }, TypeError, /options\.columns must be an integer/],
    ['scale zero', { ...good, scale: 0 }, RangeError, /options\.scale must be an integer in \[1, 64\]/],
    ['too few captions', { ...good, captions: [] }, RangeError, /options\.captions\.length must be 1 \(one per image\); got 0/],
    ['a caption that is not a string', { ...good, captions: [1] }, TypeError, /options\.captions\[0\] must be a string/],
    ['a title that is not a string', { ...good, title: 1 }, TypeError, /options\.title must be a string/],
    ['a misspelt option', { ...good, colums: 2 }, RangeError, /options\.colums must be absent/],
    ['a grid too wide for a PNG of this package', { images: [new Float32Array(3000)], width: 3000, height: 1, columns: 1 }, RangeError, /image grid width must be at most 8192/],
  ])('rejects %s', (_name, options, type, message) => {
    expectArgumentError(() => imageGrid(options as ImageGridOptions), type, message);
  });
});

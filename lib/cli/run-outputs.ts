/**
 * What a training run leaves in its --out folder: the running error curve (one value per row, as
 * the original wrote it) and a CSV of every row, rewritten at every checkpoint; a PNG plot of the
 * curve and a PNG of recent inputs beside their reconstructions, drawn when the run ends or stops.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { writeFileAtomic } from '../checkpoint';
import { imageGrid, lineChart } from '../plot';

/** One row of the prequential stream: predicted before it was learned. */
export interface RowRecord {
  /** Position in the stream (0-based). */
  row: number;
  /** Index of the row in the dataset. */
  index: number;
  label: number;
  prediction: number;
  /** The running error after this row. */
  error: number;
  /** Per layer, the objective reported by the learn steps after this row. */
  objectives: number[];
}

/** A recent input and the model's reconstruction of it, for the picture. */
export interface Sample {
  x: Float32Array;
  reconstruction: Float32Array;
  label: number;
  prediction: number;
}

export const OUTPUT_FILES = {
  curve: 'error.txt',
  rows: 'rows.csv',
  plot: 'error.png',
  samples: 'reconstructions.png',
} as const;

const CSV_HEADER_START = 'row,index,label,prediction,running_error';

const csvHeader = (depth: number) => [CSV_HEADER_START, ...Array.from({ length: depth }, (_, l) => `objective_${l}`)].join(',') + '\n';
const csvLines = (records: readonly RowRecord[]) => records.map((r) => [r.row, r.index, r.label, r.prediction, r.error, ...r.objectives].join(',') + '\n').join('');
const curveLines = (records: readonly RowRecord[]) => records.map((r) => `${r.error}\n`).join('');

export function recordsToCsv(records: readonly RowRecord[], depth: number): string {
  return csvHeader(depth) + csvLines(records);
}

/**
 * The records of a previous run's rows.csv in `folder`, the first `count` of them, or null when
 * the file is absent or does not hold them (the resumed run then starts a fresh curve).
 */
export async function readRecords(folder: string, count: number, depth: number): Promise<RowRecord[] | null> {
  let text: string;
  try {
    text = await fs.readFile(path.join(folder, OUTPUT_FILES.rows), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((line) => line !== '');
  if (!lines[0]?.startsWith(CSV_HEADER_START) || lines.length - 1 < count) return null;
  const records: RowRecord[] = [];
  for (const line of lines.slice(1, count + 1)) {
    const v = line.split(',').map(Number);
    if (v.length !== 5 + depth || v.some((x) => Number.isNaN(x))) return null;
    records.push({ row: v[0], index: v[1], label: v[2], prediction: v[3], error: v[4], objectives: v.slice(5) });
  }
  return records.every((r, i) => r.row === i) ? records : null;
}

/** Width and height to draw an input of `size` values as an image: square when it is one (MNIST: 28 × 28), else a strip. */
function imageShape(size: number): [number, number] {
  const side = Math.round(Math.sqrt(size));
  return side * side === size ? [side, side] : [size, 1];
}

/**
 * The curve and the CSV, brought up to date at every checkpoint (a resumed run reads them back):
 * written whole the first time (`written` = 0), afterwards the records from `written` on are
 * appended and flushed, so that a long run does not rewrite every earlier row at every checkpoint.
 * An append cut short leaves at most a partial line after the rows a checkpoint counts, which
 * readRecords never reads. Returns the number of records now in the files.
 */
export async function writeRunRecords(folder: string, records: readonly RowRecord[], depth: number, written = 0): Promise<number> {
  const curve = path.join(folder, OUTPUT_FILES.curve), rows = path.join(folder, OUTPUT_FILES.rows);
  if (written === 0) {
    await writeFileAtomic(curve, Buffer.from(curveLines(records)));
    await writeFileAtomic(rows, Buffer.from(recordsToCsv(records, depth)));
    return records.length;
  }
  const fresh = records.slice(written);
  for (const [file, text] of [[curve, curveLines(fresh)], [rows, csvLines(fresh)]] as const) {
    const handle = await fs.open(file, 'a');
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return records.length;
}

/** The two pictures: drawn when a run ends or stops. */
export async function writeRunPlots(folder: string, title: string, records: readonly RowRecord[], samples: readonly Sample[]): Promise<void> {
  const chart = lineChart({
    series: [{ values: records.map((r) => r.error), label: 'running error' }],
    title,
    xLabel: 'row of the stream',
    width: 1600, // room for the settings in the title
    height: 600,
    yLabel: 'running error',
    yMin: 0,
    yMax: 1,
    xStart: records[0]?.row ?? 0,
  });
  await writeFileAtomic(path.join(folder, OUTPUT_FILES.plot), chart);
  if (samples.length > 0) {
    const [width, height] = imageShape(samples[0].x.length);
    const grid = imageGrid({
      images: samples.flatMap((s) => [s.x, s.reconstruction]),
      captions: samples.flatMap((s) => [`label ${s.label}`, `guess ${s.prediction}`]),
      width,
      height,
      columns: 8,
      title: 'inputs (left) beside their reconstructions (right)',
    });
    await writeFileAtomic(path.join(folder, OUTPUT_FILES.samples), grid);
  }
}

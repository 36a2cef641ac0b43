/** `indeependence evaluate`: accuracy and confusion matrix of a checkpoint on a row range, learning nothing. */
import { Autoencoder } from '../model';
import { checkRange, loadDataset, type DataOptions } from './dataset-option';
import type { RunContext } from './train';
import { UsageError } from './usage-error';

export interface EvaluateOptions extends DataOptions {
  checkpoint: string;
  skip: number;
  limit: number;
  infer: number;
  batch: number;
  json: boolean;
}

export interface Evaluation {
  rows: number;
  correct: number;
  accuracy: number;
  /** confusion[label][prediction]: how many rows of each label got each prediction. */
  confusion: number[][];
}

export function confusionTable(confusion: number[][]): string {
  const width = Math.max(5, ...confusion.flat().map((n) => String(n).length + 1));
  const cell = (text: string | number) => String(text).padStart(width);
  const header = `${cell('label')} |${confusion.map((_, c) => cell(c)).join('')}   (columns: prediction)`;
  const lines = confusion.map((row, label) => `${cell(label)} |${row.map(cell).join('')}`);
  return [header, '-'.repeat(header.length), ...lines].join('\n');
}

export async function evaluate(o: EvaluateOptions, context: RunContext): Promise<number> {
  const dataset = await loadDataset(o);
  const model = await Autoencoder.load(o.checkpoint);
  try {
    const { labelSize, inputSize } = model.config;
    if (inputSize !== dataset.inputSize || labelSize < dataset.classes)
      throw new UsageError(`${o.checkpoint} is a model of ${inputSize} inputs and ${labelSize} labels; the data has ${dataset.inputSize} inputs and ${dataset.classes} classes`);
    checkRange(dataset, '--skip/--limit', o.skip, o.limit);
    const confusion = Array.from({ length: labelSize }, () => new Array<number>(labelSize).fill(0));
    let correct = 0;
    for (let start = o.skip; start < o.skip + o.limit && !context.interrupted(); start += o.batch) {
      const rows = dataset.range(start, Math.min(start + o.batch, o.skip + o.limit));
      const { labels } = await model.inferAsync(rows.x, { steps: o.infer });
      labels.forEach((prediction, r) => {
        const label = rows.labels![r];
        confusion[label][prediction] += 1;
        if (prediction === label) ++correct;
      });
    }
    const rows = confusion.flat().reduce((a, b) => a + b, 0);
    const result: Evaluation = { rows, correct, accuracy: correct / Math.max(rows, 1), confusion };
    if (o.json) context.stdout.write(`${JSON.stringify(result)}\n`);
    else
      context.stdout.write(
        `accuracy ${(100 * result.accuracy).toFixed(2)}% (${correct} of ${rows} rows [${o.skip}, ${o.skip + rows}), ${o.infer} infer steps)\n\n${confusionTable(confusion)}\n`,
      );
    return rows < o.limit ? 130 : 0;
  } finally {
    model.dispose();
  }
}

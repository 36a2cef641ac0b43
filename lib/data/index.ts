/**
 * Data loading: IDX (MNIST's format), NumPy .npy and numeric CSV files, plain or gzip, read whole
 * or streamed in batches; {@link Dataset} for batching and shuffling; the bundled MNIST set.
 */
export { readIdx, streamIdx } from './idx';
export { readNpy, streamNpy, MAX_NPY_HEADER } from './npy';
export { readCsv, streamCsv, type CsvOptions, type CsvStreamOptions, type CsvBatch } from './csv';
export { Dataset, type DatasetInit, type Rows, type Batch, type BatchOptions, type FromTensorsOptions } from './dataset';
export { mnist, MNIST_TRAIN_ROWS } from './mnist';
export { MAX_ELEMENTS, type Source, type Dtype, type Tensor, type TensorData, type StreamOptions } from './source';

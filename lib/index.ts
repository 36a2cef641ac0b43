/**
 * indeependence: a stacked autoencoder that learns only from streaming statistics of its data,
 * so that it learns new data without forgetting old data and never stores an example.
 * @packageDocumentation
 */
export { stateBytes, type AutoencoderOptions, type AutoencoderConfig, type StatisticsMode, type Solver, type UpperStatistics, type Device } from './config';
export {
  Autoencoder,
  type BatchSemantics,
  type CollectOptions,
  type SaveOptions,
  type LoadOptions,
  type CheckpointInfo,
  type LearnOptions,
  type InferOptions,
} from './model';
export type { Inference, Decoded, LayerState, ClassMomentsState, ModelSnapshot, ObjectiveGradient, CompletionGradient } from './types';
export { basisEntropy, type EntropyOptions } from './entropy';
export { setThreads, threads } from './threads';
export { oneHot } from './labels';
export type { CodedError } from './errors';
export {
  readIdx,
  streamIdx,
  readNpy,
  streamNpy,
  readCsv,
  streamCsv,
  Dataset,
  mnist,
  MNIST_TRAIN_ROWS,
  type Tensor,
  type Dtype,
  type TensorData,
  type Source,
  type StreamOptions,
  type CsvOptions,
  type CsvStreamOptions,
  type CsvBatch,
  type DatasetInit,
  type Rows,
  type Batch,
  type BatchOptions,
  type FromTensorsOptions,
} from './data';
/** The continual-learning evaluation: scenarios, the harness, the metrics and the compared methods. */
export * as continual from './continual';

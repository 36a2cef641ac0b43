/**
 * indeependence: a stacked autoencoder that learns only from streaming statistics of its data,
 * so that it learns new data without forgetting old data and never stores an example.
 * @packageDocumentation
 */
export {
  Autoencoder,
  stateBytes,
  type AutoencoderOptions,
  type AutoencoderConfig,
  type StatisticsMode,
  type BatchSemantics,
  type Solver,
  type Device,
  type CollectOptions,
  type LearnOptions,
  type InferOptions,
  type Inference,
  type Decoded,
  type LayerState,
  type ObjectiveGradient,
  type CompletionGradient,
} from './model';
export { basisEntropy, type EntropyOptions } from './entropy';
export { oneHot } from './labels';
export type { CodedError } from './errors';

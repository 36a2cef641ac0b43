/**
 * The continual-learning evaluation: scenarios (split MNIST asked class-, task- and
 * domain-incremental; permuted MNIST), the harness that runs a method through one, the metrics it
 * reports (accuracy matrix, ACC, BWT, FWT, prequential error) and the methods compared.
 */
export type { ScenarioKind, Task, Scenario, ContinualMethod, TaskBatch } from './types';
export {
  splitScenario,
  permutedScenario,
  mnistScenario,
  mnistSource,
  taskPermutation,
  checkOrder,
  SPLIT_TASKS,
  type ScenarioSource,
  type ScenarioOptions,
  type PermutedOptions,
  type MnistScenarioOptions,
} from './scenarios';
export {
  averageAccuracy,
  backwardTransfer,
  forwardTransfer,
  transferMetrics,
  accuracy,
  prequentialSummary,
  runningError,
  checkMatrix,
  type AccuracyMatrix,
  type TransferMetrics,
  type PrequentialSummary,
} from './metrics';
export { runScenario, evaluateTask, predict, type RunOptions, type RunResult, type Progress } from './harness';
export { StreamingLdaMethod, cholesky, choleskySolve, type SldaOptions, type SldaStatistics, type SldaCovariance } from './methods/slda';
export { IndeependenceMethod, type IndeependenceMethodOptions } from './methods/indeependence';
export { MlpMethod, type MlpOptions, type MlpConfig } from './methods/mlp';
export { runJoint, jointTask, type JointResult } from './joint';

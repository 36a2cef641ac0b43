/**
 * The continual-learning harness's vocabulary: a scenario is a sequence of tasks over one output
 * space; a method learns the tasks in turn, each training row seen once, and scores test rows.
 */
import type { Dataset } from '../data';

/** How the tasks of split MNIST are asked (van de Ven & Tolias 2019). */
export type ScenarioKind =
  /** Predict among every class seen so far (10 digits); no task identity at test time. */
  | 'class'
  /** Task identity given at test time: predict among that task's classes only. */
  | 'task'
  /** Predict the digit's position within its task's pair (2 outputs), without task identity. */
  | 'domain'
  /** Permuted MNIST: each task a fixed seeded pixel permutation of all 10 digits. */
  | 'permuted';

/** One task: its training stream (rows in the seeded order they are seen) and its test rows, labels already in the scenario's output space. */
export interface Task {
  /** Position in the scenario's task order. */
  index: number;
  /** Short name, e.g. '0/1' or 'perm 3'. */
  name: string;
  /** Output classes a task-incremental prediction may choose from (the scenario's label space). */
  classes: readonly number[];
  train: Dataset;
  test: Dataset;
}

export interface Scenario {
  kind: ScenarioKind;
  /** Values per input row (784). */
  inputSize: number;
  /** Size of the output label space (10, or 2 for domain-incremental). */
  outputs: number;
  tasks: readonly Task[];
}

/** A learner run through the harness. Every method sees the same rows in the same order. */
export interface ContinualMethod {
  /** Name in tables and plots. */
  readonly name: string;
  /** One line of its settings (for EVALUATION.md). */
  readonly settings: string;
  /**
   * Learns one task's training rows, given in order in batches; each row is seen once. `onPredicted`
   * (optional) is called by the method before it learns each batch, with its predictions for that
   * batch (the prequential, test-then-train error).
   */
  learnTask(task: Task, batches: AsyncIterable<TaskBatch>, onPredicted?: (batch: TaskBatch, predicted: Int32Array) => void): Promise<void>;
  /** Scores (rows × outputs; larger is more likely) for test rows x. */
  scores(x: Float32Array, rows: number): Promise<Float32Array>;
  /** Frees native memory. */
  dispose(): void;
}

/** Training rows as the harness hands them to a method. */
export interface TaskBatch {
  x: Float32Array;
  /** One-hot rows over the scenario's outputs. */
  y: Float32Array;
  labels: Int32Array;
  rows: number;
}

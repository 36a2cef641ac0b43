/**
 * Joint training, the upper bound of a continual comparison: the method learns every task's
 * training rows at once (one stream, shuffled across tasks), and is then scored on each task as the
 * sequential methods are after their last task.
 */
import { Dataset } from '../data';
import { evaluateTask } from './harness';
import type { ContinualMethod, Scenario, Task, TaskBatch } from './types';

/** The union of the tasks' training rows as one task. */
export function jointTask(scenario: Scenario): Task {
  const parts = scenario.tasks.map((t) => t.train);
  const inputSize = scenario.inputSize;
  const x = new Float32Array(parts.reduce((n, d) => n + d.x.length, 0));
  const labels = new Int32Array(parts.reduce((n, d) => n + d.rows, 0));
  let at = 0;
  for (const d of parts) {
    x.set(d.x, at * inputSize);
    labels.set(d.labels!, at);
    at += d.rows;
  }
  const train = new Dataset({ x, inputSize, labels, classes: scenario.outputs });
  const classes = [...new Set(scenario.tasks.flatMap((t) => t.classes))].sort((a, b) => a - b);
  return { index: 0, name: 'all tasks', classes, train, test: scenario.tasks[0].test };
}

export interface JointResult {
  method: string;
  settings: string;
  /** Accuracy on each task's test rows after learning all of them at once. */
  accuracies: number[];
  /** Their mean: the joint model's ACC. */
  acc: number;
  timeSeconds: number;
}

/** Trains `method` on every task's rows at once (seeded shuffle, batches of `batch`), then scores each task. */
export async function runJoint(scenario: Scenario, method: ContinualMethod, { batch = 100, seed = 1 } = {}): Promise<JointResult> {
  const started = performance.now();
  const task = jointTask(scenario);
  async function* batches(): AsyncIterable<TaskBatch> {
    for (const b of task.train.batches({ size: batch, order: task.train.shuffle(seed) }))
      yield { x: b.x, y: b.y as Float32Array, labels: b.labels as Int32Array, rows: b.rows };
  }
  await method.learnTask(task, batches());
  const accuracies: number[] = [];
  for (const t of scenario.tasks) accuracies.push(await evaluateTask(scenario, method, t));
  return { method: method.name, settings: method.settings, accuracies, acc: accuracies.reduce((a, b) => a + b, 0) / accuracies.length, timeSeconds: (performance.now() - started) / 1000 };
}

/** Types of scripts/fuzz/targets.js for test/fuzz.test.ts. */
import type { Arbitrary } from 'fast-check';

export interface FuzzTarget {
  name: string;
  /** Share of the cases of a long run. */
  weight: number;
  arbitrary: Arbitrary<unknown>;
  run(value: unknown): Promise<void>;
}

export function createTargets(fastCheck: object, api: object): { targets: FuzzTarget[]; cleanup(): void };
export function isPackageError(error: unknown, options?: { system?: boolean }): boolean;
export function describeError(error: unknown): string;
export class FuzzFailure extends Error {}

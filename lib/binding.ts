/**
 * Loads the native addon: a prebuilt binary from prebuilds/ or a source build in build/, found by
 * node-gyp-build from the package root, or the file named by INDEEPENDENCE_BINARY. Loaded on first
 * use, so importing the package never fails on its own.
 */
import * as path from 'node:path';

import { rangeError } from './errors';
import { packageRoot } from './package-info';
import type { ClassMomentsState, CompletionGradient, Decoded, Inference, LayerState, ModelSnapshot, ObjectiveGradient } from './types';

/** The native model as the binding exports it (see native/binding/model_wrap.cpp). */
export interface NativeModel {
  collect(x: Float32Array, y: Float32Array | null, alpha: number, batch: string): void;
  collectAsync(x: Float32Array, y: Float32Array | null, alpha: number, batch: string): Promise<void>;
  learn(steps: number): Float64Array;
  learnAsync(steps: number): Promise<Float64Array>;
  encode(x: Float32Array, y: Float32Array | null): Float32Array;
  encodeAsync(x: Float32Array, y: Float32Array | null): Promise<Float32Array>;
  decode(codes: Float32Array): Decoded;
  decodeAsync(codes: Float32Array): Promise<Decoded>;
  infer(x: Float32Array, steps: number): Inference;
  inferAsync(x: Float32Array, steps: number): Promise<Inference>;
  objectives(): Float64Array;
  objectivesAsync(): Promise<Float64Array>;
  objectiveGradient(layer: number): ObjectiveGradient;
  objectiveGradientAsync(layer: number): Promise<ObjectiveGradient>;
  completionGradient(x: Float32Array, codes: Float32Array): CompletionGradient;
  completionGradientAsync(x: Float32Array, codes: Float32Array): Promise<CompletionGradient>;
  layerState(layer: number): LayerState;
  deviceName(): string;
  /** Every layer's state, taken in one operation (after the async operations queued before it). */
  snapshot(): ModelSnapshot;
  snapshotAsync(): Promise<ModelSnapshot>;
  restoreLayer(layer: number, state: Omit<LayerState, 'inputSize' | 'codeSize'>): void;
  restoreClassMoments(state: ClassMomentsState): void;
  dispose(): void;
  pending(): number;
}

export interface NativeConfig {
  inputSize: number;
  labelSize: number;
  layers: number[];
  rate: number;
  statistics: string;
  solver: string;
  seed: number;
  initScale: number;
  upperStatistics: string;
  replaySamples: number;
  device: string;
}

interface NativeBinding {
  NativeModel: new (config: NativeConfig) => NativeModel;
  setThreads(count: number): void;
  threads(): number;
}

let cached: NativeBinding | undefined;

export function binding(): NativeBinding {
  if (cached) return cached;
  const explicit = process.env.INDEEPENDENCE_BINARY;
  let loaded: NativeBinding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = (explicit ? require(path.resolve(explicit)) : require('node-gyp-build')(packageRoot)) as NativeBinding;
  } catch (cause) {
    const tried = explicit
      ? `the file named by INDEEPENDENCE_BINARY (${path.resolve(explicit)})`
      : `${path.join(packageRoot, 'build', 'Release')} (a source build) and ` +
        `${path.join(packageRoot, 'prebuilds', `${process.platform}-${process.arch}`)} (prebuilt binaries)`;
    throw Object.assign(
      new Error(
        `indeependence could not load its native binary for ${process.platform}-${process.arch}, Node ${process.versions.node}.\n` +
          `Tried: ${tried}.\nReason: ${(cause as Error).message}\n` +
          'To fix: prebuilt binaries exist for linux-x64 (glibc); elsewhere build from source in the package folder ' +
          `(${packageRoot}): install cmake, a C++17 compiler and OpenBLAS (Debian/Ubuntu: apt-get install cmake g++ libopenblas-dev), ` +
          'then run node scripts/install.js; or point INDEEPENDENCE_BINARY at a compatible indeependence.node.',
        { cause },
      ),
      { code: 'ERR_INDEE_BINARY' },
    );
  }
  applyThreadsVariable(loaded);
  cached = loaded;
  return cached;
}

/** INDEEPENDENCE_THREADS, when set, is the BLAS thread count from the start. */
function applyThreadsVariable(native: NativeBinding): void {
  const value = process.env.INDEEPENDENCE_THREADS;
  if (value === undefined || value === '') return;
  const count = Number(value);
  if (!/^\d+$/.test(value) || count < 1 || count > 1024)
    throw rangeError('the environment variable INDEEPENDENCE_THREADS', 'an integer in [1, 1024]', value);
  native.setThreads(count);
}

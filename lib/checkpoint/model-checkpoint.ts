/**
 * A model's checkpoint: its configuration and every layer's learned state in a safetensors file
 * (tensor names of DESIGN.md), readable by any safetensors reader. Reading checks everything — the
 * header against the file size, the configuration, every tensor's dtype, shape and place, and a
 * SHA-256 of the configuration and data — before a model is built from it.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

import { configure, type AutoencoderConfig } from '../config';
import { formatError, typeError } from '../errors';
import type { ClassMomentsState, LayerState, ModelSnapshot } from '../types';
import { encodeSafetensors, headerLength, parseHeader, type Dtype, type Header, type TensorBytes } from './safetensors';

/** `__metadata__.format` of every checkpoint this package writes. */
export const CHECKPOINT_FORMAT = 'indeependence';
/** `__metadata__.version`: the checkpoint layout; readers refuse versions they do not know. */
export const CHECKPOINT_VERSION = '1';

/** What a checkpoint holds: enough to rebuild the model exactly, and the caller's own notes. */
export interface CheckpointContents {
  config: AutoencoderConfig;
  layers: LayerState[];
  /** The class moments of a replaying model (`upperStatistics: 'replay'`), else null. */
  classes: ClassMomentsState | null;
  /** String pairs the caller saved with the model (e.g. a training run's progress). */
  metadata: Record<string, string>;
  /** The version of the package that wrote the file. */
  packageVersion: string;
}

type StateField = 'W' | 'b' | 'B' | 'C' | 'N' | 'decay' | 'adam.m' | 'adam.v' | 'adam.t';
type ClassField = 'weight' | 'mean' | 'covariance';

/** A layer's tensor (`layers.{layer}.{field}`) or a class moments tensor (`replay.weight`, `replay.{cls}.{field}`). */
type TensorSpec = { dtype: Dtype; shape: number[] } & (
  | { kind: 'layer'; layer: number; field: StateField }
  | { kind: 'class'; field: ClassField; cls: number; optional: boolean }
);

/**
 * Every tensor a checkpoint of `config` can hold, in the order written: the 8-byte arrays first, so
 * that every tensor starts aligned to its element size. A replaying model's class moments hold
 * `replay.weight` and, for each class seen (weight > 0), its mean and covariance: those are optional.
 */
function layout(config: AutoencoderConfig): Map<string, TensorSpec> {
  const scalars: [string, TensorSpec][] = [];
  const arrays: [string, TensorSpec][] = [];
  let n = config.inputSize + config.labelSize;
  if (config.upperStatistics !== 'collected') {
    const d = 2 * n, classes = config.labelSize + 1;
    scalars.push(['replay.weight', { kind: 'class', field: 'weight', cls: -1, optional: false, dtype: 'F64', shape: [classes] }]);
    for (let cls = 0; cls < classes; ++cls) {
      arrays.push([`replay.${cls}.mean`, { kind: 'class', field: 'mean', cls, optional: true, dtype: 'F32', shape: [d] }]);
      arrays.push([`replay.${cls}.covariance`, { kind: 'class', field: 'covariance', cls, optional: true, dtype: 'F32', shape: [d, d] }]);
    }
  }
  config.layers.forEach((k, layer) => {
    const d = 2 * n;
    const add = (list: [string, TensorSpec][], field: StateField, dtype: Dtype, shape: number[]) =>
      list.push([`layers.${layer}.${field}`, { kind: 'layer', layer, field, dtype, shape }]);
    add(scalars, 'N', 'F64', []);
    add(scalars, 'decay', 'F64', []);
    add(scalars, 'adam.t', 'I64', []);
    add(arrays, 'W', 'F32', [d, k]);
    add(arrays, 'b', 'F32', [d]);
    add(arrays, 'B', 'F32', [d]);
    add(arrays, 'C', 'F32', [d, d]);
    add(arrays, 'adam.m', 'F32', [d, k]);
    add(arrays, 'adam.v', 'F32', [d, k]);
    n = k;
  });
  return new Map([...scalars, ...arrays]);
}

function fieldOf(state: LayerState, field: StateField): Float32Array | number {
  switch (field) {
    case 'N': return state.N;
    case 'decay': return state.decaySinceFlush;
    case 'adam.t': return state.adam.t;
    case 'adam.m': return state.adam.m;
    case 'adam.v': return state.adam.v;
    default: return state[field];
  }
}

function classFieldOf(classes: ClassMomentsState, spec: { field: ClassField; cls: number }): Float32Array | Float64Array | null {
  return spec.field === 'weight' ? classes.weight : classes[spec.field][spec.cls];
}

function bytesOf(value: Float32Array | Float64Array | number, dtype: Dtype): Uint8Array {
  if (typeof value !== 'number') return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  const out = Buffer.alloc(8);
  if (dtype === 'I64') out.writeBigInt64LE(BigInt(value));
  else out.writeDoubleLE(value);
  return out;
}

/**
 * SHA-256 of the configuration's JSON, a zero byte, the caller's metadata JSON, a zero byte, then
 * the data section (the tensors' bytes in file order).
 */
function checksum(configJson: string, userJson: string, data: Iterable<Uint8Array>): string {
  const hash = createHash('sha256').update(configJson).update('\0').update(userJson).update('\0');
  for (const bytes of data)
    for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) hash.update(bytes.subarray(at, at + CHUNK_BYTES));
  return hash.digest('hex');
}

/** Node's hash and file reads take at most 2³¹ − 1 bytes at once: larger tensors go through in pieces. */
const CHUNK_BYTES = 1 << 30;

/** The checkpoint file's bytes for a model of `config` whose state is `snapshot`. */
export function encodeCheckpoint(
  config: AutoencoderConfig,
  snapshot: ModelSnapshot,
  packageVersion: string,
  metadata: Readonly<Record<string, string>> = {},
): Buffer {
  const tensors = new Map<string, TensorBytes>();
  for (const [name, spec] of layout(config)) {
    const value = spec.kind === 'layer' ? fieldOf(snapshot.layers[spec.layer], spec.field) : classFieldOf(snapshot.classes!, spec);
    if (value !== null) tensors.set(name, { dtype: spec.dtype, shape: spec.shape, bytes: bytesOf(value, spec.dtype) });
  }
  // The device is where a model runs, not part of what it learned: a checkpoint loads on any device.
  const { device: _device, ...portable } = config;
  const configJson = JSON.stringify(portable);
  const user = JSON.stringify(metadata);
  const sha256 = checksum(configJson, user, [...tensors.values()].map((t) => t.bytes));
  return encodeSafetensors({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, package: packageVersion, config: configJson, user, sha256 }, tensors);
}

/** The configuration stored in a header, checked as the constructor checks its options. */
function configOf(source: string, header: Header): AutoencoderConfig {
  const { format, version, config } = header.metadata;
  if (format !== CHECKPOINT_FORMAT)
    throw formatError(source, `__metadata__.format is ${JSON.stringify(format)}, expected '${CHECKPOINT_FORMAT}' (not a checkpoint of this package)`);
  if (version !== CHECKPOINT_VERSION)
    throw formatError(source, `checkpoint version ${JSON.stringify(version)} is not supported (this package reads version ${CHECKPOINT_VERSION})`);
  if (config === undefined) throw formatError(source, '__metadata__.config is missing');
  try {
    return configure(JSON.parse(config));
  } catch (cause) {
    throw formatError(source, `__metadata__.config is not a valid configuration: ${(cause as Error).message}`);
  }
}

/** Checks that the header holds exactly the tensors `config` needs, each of the right dtype and shape. */
function checkTensors(source: string, header: Header, expected: Map<string, TensorSpec>): void {
  for (const name of header.tensors.keys())
    if (!expected.has(name)) throw formatError(source, `holds an unexpected tensor '${name}'`);
  for (const [name, spec] of expected) {
    const t = header.tensors.get(name);
    if (t === undefined && spec.kind === 'class' && spec.optional) continue;
    if (t === undefined) throw formatError(source, `tensor '${name}' is missing`);
    if (t.dtype !== spec.dtype || t.shape.length !== spec.shape.length || t.shape.some((x, i) => x !== spec.shape[i]))
      throw formatError(source, `tensor '${name}' is ${t.dtype} [${t.shape.join(', ')}], expected ${spec.dtype} [${spec.shape.join(', ')}] for the stored configuration`);
  }
}

/** The header and configuration of a checkpoint, checked against the total size, before its data is read. */
function readHeader(source: string, prefix: Uint8Array, totalSize: number): { header: Header; config: AutoencoderConfig; specs: Map<string, TensorSpec> } {
  const length = headerLength(source, prefix, totalSize);
  if (prefix.byteLength < 8 + length) throw formatError(source, `ends inside its header`);
  const header = parseHeader(source, prefix.subarray(8, 8 + length), totalSize);
  const config = configOf(source, header);
  const specs = layout(config);
  checkTensors(source, header, specs);
  return { header, config, specs };
}

function contentsOf(source: string, data: Uint8Array, header: Header, config: AutoencoderConfig, specs: Map<string, TensorSpec>): CheckpointContents {
  const { config: configJson, user = '{}', sha256, package: packageVersion = 'unknown' } = header.metadata;
  if (sha256 !== checksum(configJson, user, [data]))
    throw formatError(source, 'the SHA-256 of the configuration, metadata and data does not match __metadata__.sha256 (the file is corrupt)');
  const metadata = userMetadataOf(source, user);
  const layers = config.layers.map(() => ({ adam: {} }) as LayerState);
  const classCount = config.labelSize + 1;
  const classes: ClassMomentsState | null =
    config.upperStatistics !== 'collected'
      ? { weight: new Float64Array(classCount), mean: new Array(classCount).fill(null), covariance: new Array(classCount).fill(null) }
      : null;
  for (const [name, spec] of specs) {
    const t = header.tensors.get(name);
    if (t === undefined) continue; // an optional tensor (checked by checkTensors)
    // A copy (Buffer#slice would share memory): aligned for the typed arrays, independent of the caller's buffer.
    const bytes = Uint8Array.prototype.slice.call(data, t.begin, t.end);
    if (spec.kind === 'class') {
      if (spec.field === 'weight') classes!.weight = new Float64Array(bytes.buffer);
      else classes![spec.field][spec.cls] = spec.field === 'covariance' ? symmetric(source, name, bytes, spec.shape[0]) : new Float32Array(bytes.buffer);
      continue;
    }
    const state = layers[spec.layer];
    const view = new DataView(bytes.buffer);
    switch (spec.field) {
      case 'N': state.N = view.getFloat64(0, true); break;
      case 'decay': state.decaySinceFlush = view.getFloat64(0, true); break;
      case 'adam.t': {
        const t64 = view.getBigInt64(0, true);
        if (t64 < 0n || t64 > BigInt(Number.MAX_SAFE_INTEGER)) throw formatError(source, `tensor '${name}' holds ${t64}, expected a step count in [0, 2^53)`);
        state.adam.t = Number(t64);
        break;
      }
      case 'C': state.C = symmetric(source, name, bytes, spec.shape[0]); break;
      case 'adam.m': state.adam.m = new Float32Array(bytes.buffer); break;
      case 'adam.v': state.adam.v = new Float32Array(bytes.buffer); break;
      default: state[spec.field] = new Float32Array(bytes.buffer);
    }
  }
  return { config, layers, classes, metadata, packageVersion };
}

/** A d × d float32 matrix that must be symmetric bit for bit: the model keeps one triangle and mirrors it, so an asymmetric one would not load as stored. */
function symmetric(source: string, name: string, bytes: Uint8Array, d: number): Float32Array {
  const bits = new Uint32Array(bytes.buffer);
  for (let i = 0; i < d; ++i)
    for (let j = 0; j < i; ++j)
      if (bits[i * d + j] !== bits[j * d + i]) throw formatError(source, `tensor '${name}' is not symmetric (element [${j}, ${i}] differs from its mirror image)`);
  return new Float32Array(bytes.buffer);
}

function userMetadataOf(source: string, json: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw formatError(source, '__metadata__.user is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string'))
    throw formatError(source, '__metadata__.user is not an object of strings');
  return value as Record<string, string>;
}

/** Reads and checks a checkpoint held in memory. `source` names it in errors. */
export function decodeCheckpoint(buffer: Uint8Array, source = 'checkpoint buffer'): CheckpointContents {
  const { header, config, specs } = readHeader(source, buffer, buffer.byteLength);
  return contentsOf(source, buffer.subarray(header.dataStart), header, config, specs);
}

/** Reads and checks a checkpoint file, reading no more than its header until the header is checked. */
export async function readCheckpointFile(file: string): Promise<CheckpointContents> {
  // A NUL byte would otherwise reach fs.open, whose error is not one of this package's.
  if (file.includes('\0')) throw typeError('file', 'a path without NUL bytes', file);
  const source = path.resolve(file);
  const handle = await fs.open(source, 'r').catch((cause: NodeJS.ErrnoException) => {
    throw Object.assign(new Error(`could not open checkpoint ${source}: ${cause.message}`, { cause }), { code: cause.code ?? 'ERR_INDEE_IO' });
  });
  try {
    const { size } = await handle.stat();
    const read = async (position: number, length: number) => {
      const out = Buffer.alloc(length);
      for (let done = 0; done < length; ) {
        const { bytesRead } = await handle.read(out, done, Math.min(CHUNK_BYTES, length - done), position + done);
        if (bytesRead === 0) throw formatError(source, 'changed size while being read');
        done += bytesRead;
      }
      return out;
    };
    const prefix = await read(0, Math.min(8, size));
    const length = headerLength(source, prefix, size);
    const withHeader = Buffer.concat([prefix, await read(8, length)]);
    const { header, config, specs } = readHeader(source, withHeader, size);
    return contentsOf(source, await read(header.dataStart, size - header.dataStart), header, config, specs);
  } finally {
    await handle.close();
  }
}

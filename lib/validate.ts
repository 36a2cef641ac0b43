/**
 * Checks of public arguments, run before anything reaches native code. Element values (NaN,
 * Infinity) are checked by the binding while it copies the input, so large arrays are read once.
 */
import { types } from 'node:util';

import { rangeError, typeError } from './errors';

export function integer(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw typeError(name, `an integer in [${min}, ${max}]`, value);
  if (!Number.isInteger(value) || value < min || value > max) throw rangeError(name, `an integer in [${min}, ${max}]`, value);
  return value;
}

export function finiteNumber(value: unknown, name: string, min: number, max: number, minExclusive = false): number {
  const expected = `a number in ${minExclusive ? '(' : '['}${min}, ${max}]`;
  if (typeof value !== 'number') throw typeError(name, expected, value);
  if (!Number.isFinite(value) || value > max || value < min || (minExclusive && value === min)) throw rangeError(name, expected, value);
  return value;
}

export function choice<T extends string>(value: unknown, name: string, choices: readonly T[]): T {
  const expected = `one of ${choices.map((c) => `'${c}'`).join(', ')}`;
  if (typeof value !== 'string') throw typeError(name, expected, value);
  if (!(choices as readonly string[]).includes(value)) throw rangeError(name, expected, value);
  return value as T;
}

/** An options object (or undefined) whose keys are all known: a misspelt option is an error, not a silent default. */
export function options<K extends string>(value: unknown, name: string, known: readonly K[]): Partial<Record<K, unknown>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw typeError(name, 'an object', value);
  for (const key of Object.keys(value)) {
    if (!(known as readonly string[]).includes(key))
      throw rangeError(`${name}.${key}`, `absent (known options: ${known.join(', ')})`, (value as Record<string, unknown>)[key]);
  }
  return value as Partial<Record<K, unknown>>;
}

/** A row-major batch: a Float32Array holding a positive whole number of rows of `width` values. Returns the row count. */
export function batch(value: unknown, name: string, width: number, widthName: string): number {
  if (!types.isFloat32Array(value)) throw typeError(name, `a Float32Array of rows of ${width} values (${widthName})`, value);
  if (value.length === 0 || value.length % width !== 0)
    throw rangeError(`${name}.length`, `a positive multiple of ${width} (${widthName})`, value.length);
  return value.length / width;
}


/** A Float32Array of exactly `rows` rows of `width` values. */
export function rows(value: unknown, name: string, width: number, count: number, widthName: string): void {
  if (!types.isFloat32Array(value)) throw typeError(name, `a Float32Array of ${count} rows of ${width} values (${widthName})`, value);
  if (value.length !== count * width)
    throw rangeError(`${name}.length`, `${count * width} (${count} rows of ${width}, ${widthName})`, value.length);
}

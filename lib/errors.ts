/**
 * Argument errors in the style of Node's own: a TypeError (`code: 'ERR_INVALID_ARG_TYPE'`) when an
 * argument has the wrong type, a RangeError (`code: 'ERR_OUT_OF_RANGE'`) when its value is not
 * accepted. Messages name the argument, what was expected and what was given.
 */

/** An Error with the machine-readable `code` every error of this package carries. */
export interface CodedError extends Error {
  code: string;
}

function coded<E extends Error>(error: E, code: string): E & CodedError {
  return Object.assign(error, { code });
}

/** A short description of a value for error messages: `Float64Array(12)`, `'abc'`, `NaN`, `null`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length;
    return `${value.constructor.name}(${length ?? value.byteLength})`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}'`;
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'null prototype'})`;
  if (typeof value === 'function') return 'a function';
  return String(value);
}

export function typeError(name: string, expected: string, actual: unknown): TypeError & CodedError {
  return coded(new TypeError(`${name} must be ${expected}; got ${describe(actual)}`), 'ERR_INVALID_ARG_TYPE');
}

export function rangeError(name: string, expected: string, actual: unknown): RangeError & CodedError {
  return coded(new RangeError(`${name} must be ${expected}; got ${describe(actual)}`), 'ERR_OUT_OF_RANGE');
}

/**
 * Outside bytes that are not what they claim to be (a data file, a checkpoint): an Error with
 * `code: 'ERR_INDEE_FORMAT'` whose message names the source (a file path, or a description such as
 * 'buffer') and the problem.
 */
export function formatError(source: string, problem: string): Error & CodedError {
  return coded(new Error(`${source}: ${problem}`), 'ERR_INDEE_FORMAT');
}

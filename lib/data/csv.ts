/**
 * Numeric CSV: one row per line, every column a number except an optional integer label column,
 * an optional header row; fields may be quoted as in RFC 4180, except that a quoted field cannot
 * span lines. Read line by line through node:readline, so a file of any length streams
 * in batches; gzip is detected by its magic bytes like everywhere in lib/data.
 */
import * as readline from 'node:readline';
import { Readable } from 'node:stream';

import { formatError, rangeError, typeError } from '../errors';
import * as check from '../validate';
import { Dataset } from './dataset';
import { checkSource, openSource, type Source } from './source';

/** Options of {@link readCsv}. */
export interface CsvOptions {
  /** The label column: its header name, or its 0-based index. Default: none (every column is an input). */
  label?: string | number;
  /** Whether the first non-blank line names the columns; 'auto' (default): it does when any of its fields is not a number. */
  header?: boolean | 'auto';
  /** The field separator, default ','. */
  delimiter?: string;
}

/** Options of {@link streamCsv}. */
export interface CsvStreamOptions extends CsvOptions {
  /** The most rows per batch, an integer ≥ 1. */
  rows: number;
}

/** One batch of {@link streamCsv}. */
export interface CsvBatch {
  /** rows × inputSize values, row-major. */
  x: Float32Array;
  /** One label per row, or null without a label column. */
  labels: Int32Array | null;
  /** Number of rows, at most the `rows` option. */
  rows: number;
  /** Values per row: the columns less the label column. */
  inputSize: number;
}

interface Settings {
  label: string | number | null;
  header: boolean | 'auto';
  delimiter: string;
}

/** What the first non-blank line fixes for the whole file. */
interface Columns {
  count: number;
  names: string[] | null;
  label: number | null;
  inputSize: number;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const MAX_ROWS = 2 ** 31 - 1;
const MAX_LABEL = 2 ** 31 - 1;
/** Values the first allocation of a batch holds at most (see RowBuffer). */
const FIRST_VALUES = 1 << 16;

function settings(options: unknown, streaming: boolean): Settings & { rows: number } {
  const o = check.options(options, 'options', streaming ? (['label', 'header', 'delimiter', 'rows'] as const) : (['label', 'header', 'delimiter'] as const));
  const rows = streaming ? check.integer(o.rows, 'options.rows', 1, MAX_ROWS) : Number.MAX_SAFE_INTEGER;
  let label: string | number | null = null;
  if (typeof o.label === 'number') label = check.integer(o.label, 'options.label', 0, MAX_ROWS);
  else if (typeof o.label === 'string' && o.label !== '') label = o.label;
  else if (o.label !== undefined) throw (typeof o.label === 'string' ? rangeError : typeError)('options.label', 'a column name or a 0-based column index', o.label);
  const header = o.header ?? 'auto';
  if (header !== true && header !== false && header !== 'auto') throw (typeof header === 'string' ? rangeError : typeError)('options.header', "true, false or 'auto'", header);
  const delimiter = o.delimiter ?? ',';
  if (typeof delimiter !== 'string') throw typeError('options.delimiter', 'a string', delimiter);
  if (delimiter === '' || /[\r\n"]/.test(delimiter)) throw rangeError('options.delimiter', 'a non-empty string without line breaks or quotes', delimiter);
  return { rows, label, header, delimiter };
}

/**
 * Fields of one line, RFC 4180 style: a field whose first non-blank character is `"` runs to the
 * matching closing quote, `""` inside it is one literal quote, and a delimiter inside it does not
 * split; only blanks may follow the closing quote. Unquoted fields are trimmed; quoted ones keep
 * their inner text as it is. A line break inside quotes is not supported: readline has already
 * split the line there, so such a field shows as an unterminated quote and is reported as one.
 */
function splitFields(line: string, delimiter: string, name: string, lineNo: number): string[] {
  const fields: string[] = [];
  const fail = (problem: string) => formatError(name, `line ${lineNo}, column ${fields.length + 1}: ${problem}`);
  for (let at = 0; ; ) {
    // Blanks are skipped by hand rather than by trim(): a blank delimiter (tab, space) must still split.
    let first = at;
    while (first < line.length && !line.startsWith(delimiter, first) && /\s/.test(line[first])) ++first;
    let field: string | null = null; // stays null for an unquoted field
    let rest = at; // where the text after the field's quotes (or the whole unquoted field) starts
    if (line[first] === '"') {
      field = '';
      for (let from = first + 1; ; ) {
        const quote = line.indexOf('"', from);
        if (quote < 0)
          throw fail(`unterminated quote (opened at character ${first + 1}); a quoted field must close on its own line, line breaks inside quotes are not supported`);
        field += line.slice(from, quote);
        from = quote + 1;
        if (line[from] !== '"') {
          rest = from;
          break;
        }
        field += '"';
        ++from;
      }
    }
    const end = line.indexOf(delimiter, rest);
    const tail = line.slice(rest, end < 0 ? line.length : end);
    if (field === null) field = tail.trim();
    else if (tail.trim() !== '') throw fail(`unexpected text after the closing quote at character ${rest}: '${tail.trim()}'`);
    fields.push(field);
    if (end < 0) return fields;
    at = end + delimiter.length;
  }
}

function columnsOf(fields: string[], s: Settings, name: string, line: number): Columns {
  const names = s.header === true || (s.header === 'auto' && fields.some((f) => !NUMBER.test(f))) ? fields : null;
  let label: number | null = null;
  if (typeof s.label === 'number') {
    if (s.label >= fields.length) throw formatError(name, `line ${line}: label column index ${s.label} is out of range (the first row has ${fields.length} columns)`);
    label = s.label;
  } else if (s.label !== null) {
    if (!names) throw formatError(name, `line ${line}: label column '${s.label}' is given by name, but the file has no header row`);
    label = names.indexOf(s.label);
    if (label < 0) throw formatError(name, `line ${line}: no column named '${s.label}' in the header (${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`);
    if (names.lastIndexOf(s.label) !== label) throw formatError(name, `line ${line}: the header names several columns '${s.label}'`);
  }
  const inputSize = fields.length - (label === null ? 0 : 1);
  if (inputSize === 0) throw formatError(name, `line ${line}: no input columns besides the label column`);
  return { count: fields.length, names, label, inputSize };
}

/** Rows parsed straight into growing typed arrays; handed out as a batch when full or at the end. */
class RowBuffer {
  rows = 0;
  x = new Float32Array(0);
  labels: Int32Array | null = null;
  #capacity = 0;
  #next: number;

  constructor(
    readonly columns: Columns,
    readonly limit: number,
  ) {
    // The first allocation is sized to the row width, not only to a row count: 256 rows of a first
    // line holding a million fields would be a gigabyte before the second line is read. Later ones
    // double, so memory follows the values that actually arrived.
    this.#next = Math.max(1, Math.min(256, Math.floor(FIRST_VALUES / columns.inputSize)));
  }

  /** Parses one data row's fields into the buffer; errors name the line and column. */
  add(fields: string[], name: string, line: number): void {
    const { columns } = this;
    if (this.rows === this.#capacity) this.#grow();
    const where = (i: number) => `line ${line}, column ${i + 1}${columns.names ? ` ('${columns.names[i]}')` : ''}`;
    let at = this.rows * columns.inputSize;
    for (let i = 0; i < fields.length; ++i) {
      const f = fields[i];
      const value = NUMBER.test(f) ? Number(f) : NaN;
      if (i === columns.label) {
        if (!Number.isInteger(value) || value < 0 || value > MAX_LABEL) throw formatError(name, `${where(i)}: a label must be an integer ≥ 0; got '${f}'`);
        this.labels![this.rows] = value;
      } else {
        if (Number.isNaN(value)) throw formatError(name, `${where(i)}: not a number: '${f}'`);
        if (!Number.isFinite(Math.fround(value))) throw formatError(name, `${where(i)}: '${f}' is outside the float32 range`);
        this.x[at++] = value;
      }
    }
    ++this.rows;
  }

  /** The rows so far, trimmed to their count; the buffer starts empty again. */
  take(): CsvBatch {
    const { rows, columns } = this;
    const full = rows === this.#capacity;
    const batch = {
      x: full ? this.x : this.x.slice(0, rows * columns.inputSize),
      labels: this.labels && (full ? this.labels : this.labels.slice(0, rows)),
      rows,
      inputSize: columns.inputSize,
    };
    this.rows = this.#capacity = 0;
    this.x = new Float32Array(0);
    this.labels = null;
    return batch;
  }

  // Grows by doubling from what the last batch needed: memory follows the rows that actually arrived.
  #grow(): void {
    const capacity = Math.min(this.limit, Math.max(this.#next, 2 * this.#capacity));
    const x = new Float32Array(capacity * this.columns.inputSize);
    x.set(this.x);
    this.x = x;
    if (this.columns.label !== null) {
      const labels = new Int32Array(capacity);
      if (this.labels) labels.set(this.labels);
      this.labels = labels;
    }
    this.#capacity = this.#next = capacity;
  }
}

/** The one CSV reader: batches of up to `limit` rows. */
async function* csvBatches(source: Source, s: Settings, limit: number): AsyncGenerator<CsvBatch> {
  const reader = await openSource(source);
  const input = Readable.from(reader.chunks());
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  const { name } = reader;
  let buffer: RowBuffer | null = null;
  let line = 0;
  let dataRows = 0;
  try {
    for await (const text of lines) {
      ++line;
      const content = line === 1 && text.startsWith('\uFEFF') ? text.slice(1) : text;
      if (content.trim() === '') continue;
      const fields = splitFields(content, s.delimiter, name, line);
      if (buffer === null) {
        buffer = new RowBuffer(columnsOf(fields, s, name, line), limit);
        if (buffer.columns.names) continue;
      }
      if (fields.length !== buffer.columns.count)
        throw formatError(name, `line ${line}: ragged row of ${fields.length} fields; the first row has ${buffer.columns.count}`);
      buffer.add(fields, name, line);
      ++dataRows;
      if (buffer.rows === limit) yield buffer.take();
    }
    if (buffer === null) throw formatError(name, 'empty file: no rows');
    if (dataRows === 0) throw formatError(name, 'no data rows after the header line');
    if (buffer.rows > 0) yield buffer.take();
  } finally {
    lines.close();
    input.destroy();
    await reader.close();
  }
}

/**
 * Reads a whole numeric CSV file (plain or gzip) into a {@link Dataset}; with a label column,
 * classes = the largest label + 1. Quoting follows RFC 4180 within a line: a field starting with
 * `"` runs to its closing quote, `""` stands for one quote, and a delimiter inside quotes does not
 * split (so a header name may contain it; a quoted number such as `"2.5"` reads as a number).
 * @param source a file path, or the file's bytes.
 * @throws TypeError / RangeError for bad options.
 * @throws Error with `code: 'ERR_INDEE_FORMAT'` naming the file, line and column: an empty file,
 * a ragged row, a non-numeric field, a label that is not an integer ≥ 0, an unknown label column
 * name, a label index past the last column, a quote not closed on its line (a quoted field that
 * spans lines is rejected this way: multi-line fields are not supported), text after a closing quote.
 */
export async function readCsv(source: Source, options?: CsvOptions): Promise<Dataset> {
  const s = settings(options, false);
  let whole: CsvBatch | undefined;
  for await (const batch of csvBatches(checkSource(source), s, s.rows)) whole = batch;
  const { x, inputSize, labels } = whole!; // csvBatches throws rather than yield nothing
  return new Dataset({ x, inputSize, labels });
}

/**
 * Reads a numeric CSV file in batches of up to `options.rows` rows, line by line, holding one batch
 * at a time. Options are checked at the call; file errors (as for {@link readCsv}) surface from the iteration.
 */
export function streamCsv(source: Source, options: CsvStreamOptions): AsyncIterable<CsvBatch> {
  const s = settings(options, true);
  return csvBatches(checkSource(source), s, s.rows);
}

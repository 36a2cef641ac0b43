/**
 * Progress of a long run: on a terminal, one line redrawn in place (a bar, rows done, rows/s, ETA
 * and the running error); otherwise (a log file, CI) a plain line every `logEvery` rows.
 */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  readonly #stream: ProgressStream;
  readonly #total: number;
  readonly #first: number;
  readonly #logEvery: number;
  readonly #started = performance.now();
  #lastDraw = 0;
  #drawn = false;
  #logged: number;

  /** `first`: rows already done when this run started (a resumed run), so rates count only this run's rows. */
  constructor(stream: ProgressStream, total: number, first: number, logEvery = 100) {
    this.#stream = stream;
    this.#total = total;
    this.#first = first;
    this.#logEvery = logEvery;
    this.#logged = first;
  }

  update(done: number, error: number): void {
    if (this.#stream.isTTY) {
      const now = performance.now();
      if (now - this.#lastDraw < 100 && done < this.#total) return;
      this.#lastDraw = now;
      this.#stream.write(`\r${this.#bar(done)} ${this.#status(done, error)}\x1b[K`);
      this.#drawn = true;
    } else if (Math.floor(done / this.#logEvery) > Math.floor(this.#logged / this.#logEvery) || done === this.#total) {
      this.#logged = done;
      this.#stream.write(`${this.#status(done, error)}\n`);
    }
  }

  /** Ends the redrawn line so that later output starts on a fresh one. */
  finish(): void {
    if (this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }

  #status(done: number, error: number): string {
    const seconds = (performance.now() - this.#started) / 1000;
    const rate = (done - this.#first) / Math.max(seconds, 1e-9);
    const eta = rate > 0 ? (this.#total - done) / rate : Infinity;
    return `rows ${done}/${this.#total}  ${rate.toFixed(rate < 10 ? 2 : 1)} rows/s  ETA ${formatDuration(eta)}  running error ${error.toFixed(3)}`;
  }

  #bar(done: number): string {
    const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - 70));
    const filled = Math.round((width * done) / Math.max(this.#total, 1));
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  }
}

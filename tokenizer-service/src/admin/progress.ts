// Progress of a long admin job: a bar with ETA in a terminal (cli-progress), plain lines otherwise (CI, a
// log file, a pipe), always on stderr so that stdout keeps only the result (--json).
import { Presets, SingleBar } from 'cli-progress';

export interface ProgressReporter {
  /** `done` is what an earlier run (a checkpoint) already did: it counts toward the bar, not the ETA. */
  start(total: number, done: number): void;
  update(done: number, counts: Readonly<Record<string, number>>): void;
  stop(): void;
}

export interface ProgressOptions {
  label: string;
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Plain lines: at most one per this many milliseconds (the last one is always written). */
  lineIntervalMs?: number;
  now?: () => number;
}

/** A bar when the stream is a terminal, plain lines otherwise. */
export function createProgressReporter(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  return (stream as NodeJS.WriteStream).isTTY
    ? new BarProgress(options.label, stream)
    : new LineProgress(options);
}

/** Reports nothing (tests, and jobs run for their result only). */
export const silentProgress: ProgressReporter = { start() {}, update() {}, stop() {} };

class BarProgress implements ProgressReporter {
  readonly #bar: SingleBar;

  constructor(label: string, stream: NodeJS.WritableStream) {
    this.#bar = new SingleBar(
      {
        stream,
        format: `${label} [{bar}] {percentage}% {value}/{total} | ETA {eta_formatted} | {counts}`,
        etaBuffer: 200,
        hideCursor: true,
      },
      Presets.shades_classic,
    );
  }

  start(total: number, done: number): void {
    this.#bar.start(total, done, { counts: '' });
  }

  update(done: number, counts: Readonly<Record<string, number>>): void {
    this.#bar.update(done, { counts: describeCounts(counts) });
  }

  stop(): void {
    this.#bar.stop();
  }
}

class LineProgress implements ProgressReporter {
  readonly #label: string;
  readonly #stream: NodeJS.WritableStream;
  readonly #interval: number;
  readonly #now: () => number;
  #total = 0;
  #startedAt = 0;
  #doneAtStart = 0;
  #lastLineAt = Number.NEGATIVE_INFINITY;
  #last: { done: number; counts: Readonly<Record<string, number>> } = { done: 0, counts: {} };

  constructor(options: ProgressOptions) {
    this.#label = options.label;
    this.#stream = options.stream ?? process.stderr;
    this.#interval = options.lineIntervalMs ?? 5_000;
    this.#now = options.now ?? (() => performance.now());
  }

  start(total: number, done: number): void {
    this.#total = total;
    this.#doneAtStart = done;
    this.#startedAt = this.#now();
    this.#last = { done, counts: {} };
    this.#write(`${this.#label}: ${total} items to examine${done > 0 ? `, ${done} done before` : ''}`);
  }

  update(done: number, counts: Readonly<Record<string, number>>): void {
    this.#last = { done, counts };
    if (this.#now() - this.#lastLineAt >= this.#interval) this.#line();
  }

  stop(): void {
    this.#line();
  }

  #line(): void {
    const { done, counts } = this.#last;
    const percent = this.#total > 0 ? Math.min(100, Math.floor((done / this.#total) * 100)) : 100;
    this.#write(
      `${this.#label}: ${done}/${this.#total} (${percent}%) eta ${this.#eta(done)}${counts && Object.keys(counts).length > 0 ? `, ${describeCounts(counts)}` : ''}`,
    );
  }

  /** From this run's own pace (items done before a resume took no time in it). */
  #eta(done: number): string {
    const elapsed = this.#now() - this.#startedAt;
    const doneHere = done - this.#doneAtStart;
    if (done >= this.#total) return '0s';
    if (doneHere <= 0 || elapsed <= 0) return 'unknown';
    return formatDuration(((this.#total - done) * elapsed) / doneHere);
  }

  #write(text: string): void {
    this.#lastLineAt = this.#now();
    this.#stream.write(`${text}\n`);
  }
}

function describeCounts(counts: Readonly<Record<string, number>>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
}

/** `1h02m`, `3m05s`, `12s`. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.ceil(milliseconds / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}h${pad(Math.floor((seconds % 3600) / 60))}m`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m${pad(seconds % 60)}s`;
  return `${seconds}s`;
}

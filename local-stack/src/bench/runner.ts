import { performance } from 'node:perf_hooks';

/** One request of a scenario: resolves when it succeeded, throws (a short reason, never a value) when not. */
export type Operation = (worker: number) => Promise<void>;

export interface ClosedLoopOptions {
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  operation: Operation;
  /** Called when the measurement starts (reset counters, read CPU times) and once every request has ended. */
  onMeasureStart?: () => Promise<void> | void;
  onDrained?: () => Promise<void> | void;
  /** Called every `tickMs` with the phase and the requests ended so far in it. */
  onTick?: (tick: { phase: Phase; ended: number }) => void;
  tickMs?: number;
}

export type Phase = 'warm-up' | 'measure' | 'drain';

/** A request's start and end, ms on performance.now()'s clock. */
export interface Span {
  start: number;
  end: number;
}

export interface ClosedLoopResult {
  /** Length of the measurement window, ms. */
  windowMs: number;
  /** Successful requests done inside the window, pro-rated (see `overlapShare`): the base of the rates. */
  requestsInWindow: number;
  /** Successful requests done from the window's start until the last one ended, pro-rated likewise. */
  requestsAfterWarmup: number;
  /** Failed requests that overlapped the window. */
  failed: number;
  /** Latencies (ms) of the successes that ended after the warm-up. */
  latenciesMs: number[];
  /** The first distinct failure reasons. */
  failures: string[];
}

/**
 * A closed loop: `concurrency` workers each send one request, wait for its answer and send the next: a
 * warm-up first, then the measured window. No request starts after the window; those still running are
 * awaited, so no work spills into the next measurement.
 *
 * A request counts for the part of its duration that falls inside the window: a batch that takes 8 s, of
 * which 3 s overlap a 3 s window, counts 3/8. Counting whole answers instead would measure nothing when
 * requests outlast the window (batches of 100 at concurrency 64), and would favour the window's edges.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const { concurrency, warmupMs, durationMs, operation } = options;
  let phase: Phase = 'warm-up';
  let ended = 0;
  const succeeded: Span[] = [];
  const failed: Span[] = [];
  const failures = new Set<string>();

  const worker = async (id: number) => {
    while (phase !== 'drain') {
      const start = performance.now();
      try {
        await operation(id);
        succeeded.push({ start, end: performance.now() });
      } catch (error) {
        failed.push({ start, end: performance.now() });
        if (phase !== 'warm-up' && failures.size < 5)
          failures.add(error instanceof Error ? error.message : String(error));
      }
      ended++;
    }
  };

  const ticker = setInterval(() => options.onTick?.({ phase, ended }), options.tickMs ?? 250);
  const workers = Array.from({ length: concurrency }, (_, id) => worker(id));
  let window: Span;
  let drained: number;
  try {
    await sleep(warmupMs);
    await options.onMeasureStart?.();
    const start = performance.now();
    window = { start, end: start + durationMs };
    phase = 'measure';
    ended = 0;
    await sleep(durationMs);
    phase = 'drain';
    ended = 0;
    await Promise.all(workers);
    drained = performance.now();
    await options.onDrained?.();
  } finally {
    phase = 'drain';
    clearInterval(ticker);
  }
  const afterWarmup = { start: window.start, end: drained };
  const sum = (spans: Span[], range: Span) =>
    spans.reduce((total, span) => total + overlapShare(span, range), 0);
  return {
    windowMs: durationMs,
    requestsInWindow: sum(succeeded, window),
    requestsAfterWarmup: sum(succeeded, afterWarmup),
    failed: failed.filter((span) => overlapShare(span, window) > 0).length,
    latenciesMs: succeeded.filter((span) => span.end >= window.start).map((span) => span.end - span.start),
    failures: [...failures],
  };
}

/** The share (0 to 1) of a request's duration that falls inside `range`. */
export function overlapShare(span: Span, range: Span): number {
  const duration = span.end - span.start;
  if (duration <= 0) return span.end >= range.start && span.end <= range.end ? 1 : 0;
  const overlap = Math.min(span.end, range.end) - Math.max(span.start, range.start);
  return overlap > 0 ? overlap / duration : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// The errors both services answer alike. Messages are fixed texts or names: never a submitted value, since
// they are written to logs.
import type { Problem } from './problem.js';

export interface ProblemErrorOptions extends ErrorOptions {
  /** Headers sent with the answer (`retry-after`, `www-authenticate`). */
  headers?: Record<string, string>;
}

/**
 * The one base class of errors that already are a client-facing problem: the problem handling sends
 * `problem` as it is (its `type` defaulting to `bad-request`), with `headers`. `cause` is logged, never sent.
 */
export class ProblemError extends Error {
  override readonly name: string = 'ProblemError';
  readonly headers: Record<string, string>;
  constructor(
    readonly problem: Omit<Problem, 'type'> & { type?: string },
    options: ProblemErrorOptions = {},
  ) {
    super(problem.detail ?? problem.title, options.cause === undefined ? {} : { cause: options.cause });
    this.headers = options.headers ?? {};
  }
}

export interface DependencyUnavailableOptions extends ErrorOptions {
  /** How long the dependency asked us to wait, when it said so. */
  retryAfterSeconds?: number;
}

/**
 * A dependency did not answer, timed out, throttled us or had a server fault: the client may retry (503
 * with Retry-After). `dependency` is the service's own name for it (`store`, `kms`, `tokenizer`, ...).
 */
export class DependencyUnavailableError<Dependency extends string = string> extends Error {
  override readonly name = 'DependencyUnavailableError';
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly dependency: Dependency,
    options?: DependencyUnavailableOptions,
  ) {
    super(`${dependency} is unavailable`, options);
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/**
 * The constructor of DependencyUnavailableError limited to a service's own dependency names: the same
 * class (so `instanceof` holds everywhere), with names checked at compile time.
 */
export type DependencyUnavailableErrorOf<Dependency extends string> = new (
  dependency: Dependency,
  options?: DependencyUnavailableOptions,
) => DependencyUnavailableError<Dependency>;

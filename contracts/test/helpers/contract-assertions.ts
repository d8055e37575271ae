// Tap assertions over the contract validator, and the record of which documented statuses a suite saw.
import type { Test } from 'tap';
import type { ActualResponse, ContractValidator } from './contract-validator.js';

/** Which documented statuses of which operations a suite has observed in a conforming response. */
export class StatusCoverage {
  readonly #seen = new Set<string>();

  constructor(readonly validator: ContractValidator) {}

  record(operationId: string, status: number): void {
    const exact = `${operationId} ${status}`;
    // A status documented only by its range (`4XX`) counts for the range.
    const documented = this.validator.documentedStatuses();
    const range = `${operationId} ${String(status)[0]}XX`;
    this.#seen.add(!documented.includes(exact) && documented.includes(range) ? range : exact);
  }

  /** Documented `operationId status` pairs never observed. */
  missing(): string[] {
    return this.validator.documentedStatuses().filter((pair) => !this.#seen.has(pair));
  }

  /** Call last in a suite: fails listing every documented status the suite never observed. */
  assertComplete(t: Test): void {
    t.test(`every documented status of every ${this.validator.name} operation was observed`, async (t) => {
      t.same(this.missing(), [], 'documented but never exercised');
    });
  }
}

/** A light-my-request (`app.inject`) response. */
export function fromInject(response: {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}): ActualResponse {
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/** A fetch response already read as text. */
export function fromFetch(response: { status: number; headers: Headers; text: string }): ActualResponse {
  return { status: response.status, headers: response.headers, body: response.text };
}

/**
 * Asserts that a response of `operationId` conforms to the contract (and has `expected` status, when
 * given), and records its status as observed when it does.
 */
export function assertConforms(
  t: Test,
  coverage: StatusCoverage,
  operationId: string,
  response: ActualResponse,
  expected?: number,
  message = `${operationId} answers as documented`,
): void {
  if (expected !== undefined) t.equal(response.status, expected, `${message}: status ${expected}`);
  const problems = coverage.validator.responseProblems(operationId, response);
  t.same(problems, [], message);
  if (problems.length === 0) coverage.record(operationId, response.status);
}

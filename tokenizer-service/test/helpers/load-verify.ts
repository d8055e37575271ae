// The load-and-verify core shared by the short tap test (tokenizer-service/test/resilience) and
// `npm run soak`: concurrent clients tokenize, detokenize, reveal one-time tokens and delete, for a bounded
// time, while the caller injects faults; every acknowledged operation is kept in a ledger, and `verify()`
// afterwards proves that nothing acknowledged was lost, changed, duplicated or revealed twice.
//
// It speaks to the tokenizer through a `Send` function only (signed HTTP here, anything in a test), so the
// same code runs against an in-process app and a child process. No tap, no app imports.
import { randomBytes, randomInt } from 'node:crypto';
import { luhnCheckDigit } from '@tokenization/service-kit/card';
import { createSigningFetch } from '@tokenization/tokenizer-client';

export interface TokenizerCall {
  method: 'GET' | 'POST' | 'DELETE';
  /** Path under the tokenizer's base URL, e.g. `/v1/tokens`. */
  path: string;
  body?: unknown;
}

export interface TokenizerAnswer {
  status: number;
  headers: { retryAfter: string | null; contentType: string | null };
  body: string;
}

/** Sends one call; throws when no answer came (refused, reset, aborted by `signal`). */
export type Send = (call: TokenizerCall, signal: AbortSignal) => Promise<TokenizerAnswer>;

/**
 * What one request ended as. `ok` (2xx), `unavailable` (503 with Retry-After and a problem document) and
 * `connection` (no answer: the tokenizer is down or restarting) are expected under faults; every other
 * class is a defect the callers assert to be absent.
 */
export type OutcomeClass =
  | 'ok'
  | 'unavailable'
  | 'connection'
  | 'unavailable-without-retry-after'
  | 'server-error'
  | 'unexpected-client-error'
  | 'timeout';

/** Broken promises found during the run or by `verify()`; each must stay 0. */
export interface Violations {
  /** A response other than a full reveal held a submitted value, or a 5xx body named internals. */
  leakedInResponse: number;
  /** A detokenize answered another value than the one tokenized. */
  wrongValue: number;
  /** An acknowledged, undeleted token answered not_found, integrity_error or another item error. */
  lost: number;
  /** One value got two deterministic tokens, or two values one token. */
  deterministicConflict: number;
  /** A one-time token was revealed more than once. */
  revealedTwice: number;
  /** An acknowledged delete left a token that still detokenizes. */
  resurrected: number;
}

export interface LoadReport {
  /** Requests sent, by operation. */
  operations: Record<string, number>;
  totalOperations: number;
  /** Requests by outcome class (see OutcomeClass). */
  outcomes: Record<OutcomeClass, number>;
  /** Longest time any request took to be answered or to fail, in ms. */
  maxLatencyMs: number;
  acknowledged: { random: number; deterministic: number; oneTime: number; deleted: number };
  verification: {
    /** Values read back by `verify()` and found exactly as tokenized. */
    verified: number;
    /** Tokens whose outcome was uncertain (answer lost) and so could not be held to a single answer. */
    uncertain: number;
    /**
     * One-time tokens exhausted though nobody saw them revealed: their use was spent by a request that
     * answered 503 or no answer (a store write applied whose answer was lost). Allowed, since "at most
     * once" holds; counted.
     */
    spentWithoutReveal: number;
  };
  violations: Violations;
  /** What each violation was (the first 50), e.g. `lost: tok_… answered not_found at verification`. */
  details: string[];
}

export interface LoadAndVerifyOptions {
  send: Send;
  /** A client gives up on a request after this long and counts it as a hang (`timeout`). */
  requestTimeoutMs: number;
  /** Distinct deterministic values the clients share (the smaller, the more races). Default 16. */
  deterministicValues?: number;
}

interface OneTime {
  value: string;
  /** Full reveals seen. */
  reveals: number;
  /** A reveal was answered 503 or not at all: it may have spent the use. */
  uncertain: boolean;
}

const okClasses = new Set<OutcomeClass>(['ok', 'unavailable', 'connection']);
// Internals a 5xx must never show: dependency errors, addresses, stack frames.
const internals = /ECONN|ETIMEDOUT|127\.0\.0\.1|localhost|\bat [\w.<>]+ \(|Exception|DynamoDB|KMS\b/;

/**
 * One run of concurrent clients against one tokenizer and tenant, and the ledger of what it acknowledged.
 * `run()` may be called more than once (phases); `verify()` checks everything acknowledged so far.
 */
export class LoadAndVerify {
  /** Marks every generic value of this run, so a log scan can find any that leaked. */
  readonly marker = `ldv${randomBytes(4).toString('hex')}`;
  readonly #send: Send;
  readonly #timeoutMs: number;
  readonly #operations: Record<string, number> = {};
  readonly #outcomes: Record<OutcomeClass, number> = {
    ok: 0,
    unavailable: 0,
    connection: 0,
    'unavailable-without-retry-after': 0,
    'server-error': 0,
    'unexpected-client-error': 0,
    timeout: 0,
  };
  readonly #violations: Violations = {
    leakedInResponse: 0,
    wrongValue: 0,
    lost: 0,
    deterministicConflict: 0,
    revealedTwice: 0,
    resurrected: 0,
  };
  /** Random (and format-preserving) tokens acknowledged and not being deleted: token → value. */
  readonly #random = new Map<string, string>();
  readonly #randomPool: string[] = [];
  /** Deterministic: value → token, and token → value. */
  readonly #deterministic = new Map<string, string>();
  readonly #deterministicTokens = new Map<string, string>();
  readonly #deterministicValues: string[];
  readonly #oneTime = new Map<string, OneTime>();
  readonly #oneTimePool: string[] = [];
  /** Deleted (204), and deletes whose answer was lost: either state is right for those. */
  readonly #deleted = new Map<string, string>();
  readonly #deleteUncertain = new Map<string, string>();
  /** Every value submitted: a log scan looks for these. */
  readonly #cards = new Set<string>();
  #sequence = 0;
  #spentWithoutReveal = 0;
  /** What each violation was, for the report (the first 50). */
  readonly #details: string[] = [];
  #maxLatencyMs = 0;
  #verified = 0;

  constructor(options: LoadAndVerifyOptions) {
    this.#send = options.send;
    this.#timeoutMs = options.requestTimeoutMs;
    this.#deterministicValues = Array.from(
      { length: options.deterministicValues ?? 16 },
      (_, n) => `${this.marker}:det:${n}:${trickyText(n)}`,
    );
  }

  /** `concurrency` clients send operations until `durationMs` has passed (or `signal` aborts). */
  async run({
    durationMs,
    concurrency,
    signal,
  }: {
    durationMs: number;
    concurrency: number;
    signal?: AbortSignal;
  }): Promise<void> {
    const deadline = Date.now() + durationMs;
    const client = async () => {
      while (Date.now() < deadline && !signal?.aborted) {
        const outcome = await this.#step();
        // After a refusal, wait a little as a well-behaved client would (Retry-After is 1 s: shorter here,
        // so that recovery is noticed quickly).
        if (outcome === 'unavailable' || outcome === 'connection') await sleep(50 + randomInt(100));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
  }

  /**
   * Reads back everything acknowledged, with the faults over: each token must answer exactly its value (or
   * not_found once deleted), each deterministic value its one token, each one-time token at most one reveal.
   * Unavailability is retried for up to `patienceMs`.
   */
  async verify({ patienceMs = 30_000 }: { patienceMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + patienceMs;
    // Random tokens, and deletes in either state.
    const expectations = new Map<string, { value: string; deleted: boolean | 'either' }>();
    for (const [token, value] of this.#random) expectations.set(token, { value, deleted: false });
    for (const [token, value] of this.#deterministicTokens)
      expectations.set(token, { value, deleted: false });
    for (const [token, value] of this.#deleted) expectations.set(token, { value, deleted: true });
    for (const [token, value] of this.#deleteUncertain) expectations.set(token, { value, deleted: 'either' });
    const tokens = [...expectations.keys()];
    for (let start = 0; start < tokens.length; start += 100) {
      const chunk = tokens.slice(start, start + 100);
      const results = await this.#detokenizeUntil(chunk, deadline);
      chunk.forEach((token, index) => {
        const expected = expectations.get(token) as { value: string; deleted: boolean | 'either' };
        const result = results[index];
        if (result?.value !== undefined) {
          if (expected.deleted === true) this.#violation('resurrected', `deleted ${token} revealed`);
          else if (result.value !== expected.value) this.#violation('wrongValue', `${token} at verification`);
          else this.#verified++;
        } else if (result?.error === 'not_found' && expected.deleted !== false) {
          this.#verified++;
        } else {
          this.#violation('lost', `${token} answered ${result?.error ?? 'nothing'} at verification`);
        }
      });
    }
    // Deterministic: tokenizing each value again answers the token acknowledged for it.
    for (const [value, token] of this.#deterministic) {
      const answer = await this.#untilAnswered(
        { method: 'POST', path: '/v1/tokens', body: { value, deterministic: true } },
        deadline,
      );
      const again = answer.status === 201 ? (JSON.parse(answer.body) as { token?: string }).token : undefined;
      if (again === undefined)
        this.#violation('lost', `deterministic ${token}: tokenize again ${answer.status}`);
      else if (again !== token) this.#violation('deterministicConflict', `${token} became ${again}`);
      else this.#verified++;
    }
    // One-time tokens: a revealed one must now be exhausted; an unrevealed one reveals once, here.
    for (const [token, entry] of this.#oneTime) {
      const [result] = await this.#detokenizeUntil([token], deadline);
      if (result?.value !== undefined) {
        if (result.value !== entry.value) this.#violation('wrongValue', `one-time ${token} at verification`);
        else if (entry.reveals > 0) this.#violation('revealedTwice', `one-time ${token} at verification`);
        else this.#verified++;
        entry.reveals++;
      } else if (result?.error === 'exhausted' && (entry.reveals > 0 || entry.uncertain)) {
        if (entry.reveals === 0) this.#spentWithoutReveal++;
        this.#verified++;
      } else if (result?.error === 'exhausted') {
        // Spent without a reveal anyone saw and without a request whose answer was lost: a use vanished.
        this.#violation('lost', `one-time ${token} exhausted, never revealed`);
      } else {
        this.#violation('lost', `one-time ${token} answered ${result?.error ?? 'nothing'} at verification`);
      }
    }
  }

  report(): LoadReport {
    const totalOperations = Object.values(this.#operations).reduce((sum, n) => sum + n, 0);
    return {
      operations: { ...this.#operations },
      totalOperations,
      outcomes: { ...this.#outcomes },
      maxLatencyMs: Math.round(this.#maxLatencyMs),
      acknowledged: {
        random: this.#random.size + this.#deleted.size + this.#deleteUncertain.size,
        deterministic: this.#deterministic.size,
        oneTime: this.#oneTime.size,
        deleted: this.#deleted.size,
      },
      verification: {
        verified: this.#verified,
        uncertain: this.#deleteUncertain.size + [...this.#oneTime.values()].filter((e) => e.uncertain).length,
        spentWithoutReveal: this.#spentWithoutReveal,
      },
      violations: { ...this.#violations },
      details: [...this.#details],
    };
  }

  /** Lines (log lines, typically) that hold a value this run submitted: the marker, or one of its cards. */
  linesHoldingValues(lines: Iterable<string>): string[] {
    const found: string[] = [];
    for (const line of lines) {
      if (
        line.includes(this.marker) ||
        (line.match(/\d{13,19}/g) ?? []).some((run) => this.#cards.has(run))
      ) {
        found.push(line);
      }
    }
    return found;
  }

  /** Outcome classes that are defects (everything but ok, unavailable and connection), with their counts. */
  defects(): Record<string, number> {
    const report = this.report();
    const defects: Record<string, number> = {};
    for (const [name, count] of Object.entries(report.outcomes)) {
      if (!okClasses.has(name as OutcomeClass) && count > 0) defects[name] = count;
    }
    for (const [name, count] of Object.entries(report.violations)) if (count > 0) defects[name] = count;
    return defects;
  }

  // One operation of the mix, chosen at random.
  async #step(): Promise<OutcomeClass> {
    const roll = randomInt(100);
    if (roll < 22) return this.#tokenizeOne();
    if (roll < 30) return this.#tokenizeBatch();
    if (roll < 40) return this.#tokenizeDeterministic();
    if (roll < 46) return this.#tokenizeOneTime();
    if (roll < 76) return this.#detokenizeKnown();
    if (roll < 88) return this.#revealOneTime();
    if (roll < 92) return this.#deleteOne();
    return this.#readMetadata();
  }

  async #tokenizeOne(): Promise<OutcomeClass> {
    const kind = randomInt(3);
    const value = kind === 0 ? this.#genericValue() : this.#cardValue();
    const body =
      kind === 0
        ? { value }
        : kind === 1
          ? { value, type: 'card_number' }
          : { value, type: 'card_number', format: 'format_preserving' };
    const { outcome, answer } = await this.#call('tokenize', { method: 'POST', path: '/v1/tokens', body }, [
      value,
    ]);
    if (outcome === 'ok' && answer) this.#acknowledgeRandom(JSON.parse(answer.body).token, value);
    return outcome;
  }

  async #tokenizeBatch(): Promise<OutcomeClass> {
    const values = Array.from({ length: 2 + randomInt(6) }, () =>
      randomInt(2) === 0 ? this.#genericValue() : this.#cardValue(),
    );
    const { outcome, answer } = await this.#call(
      'tokenizeBatch',
      { method: 'POST', path: '/v1/tokens/batch', body: { items: values.map((value) => ({ value })) } },
      values,
    );
    if (outcome === 'ok' && answer) {
      const { results } = JSON.parse(answer.body) as { results: { token?: string }[] };
      results.forEach((result, index) => {
        if (result.token) this.#acknowledgeRandom(result.token, values[index] as string);
        else this.#outcomes['unexpected-client-error']++;
      });
    }
    return outcome;
  }

  async #tokenizeDeterministic(): Promise<OutcomeClass> {
    const value = this.#deterministicValues[randomInt(this.#deterministicValues.length)] as string;
    const { outcome, answer } = await this.#call(
      'tokenizeDeterministic',
      { method: 'POST', path: '/v1/tokens', body: { value, deterministic: true } },
      [value],
    );
    if (outcome === 'ok' && answer) {
      const token = (JSON.parse(answer.body) as { token: string }).token;
      const known = this.#deterministic.get(value);
      const owner = this.#deterministicTokens.get(token);
      if ((known !== undefined && known !== token) || (owner !== undefined && owner !== value)) {
        this.#violation('deterministicConflict', `${token}: another token or value than before`);
      } else {
        this.#deterministic.set(value, token);
        this.#deterministicTokens.set(token, value);
      }
    }
    return outcome;
  }

  async #tokenizeOneTime(): Promise<OutcomeClass> {
    const value = this.#genericValue();
    const { outcome, answer } = await this.#call(
      'tokenizeOneTime',
      { method: 'POST', path: '/v1/tokens', body: { value, maxUses: 1 } },
      [value],
    );
    if (outcome === 'ok' && answer) {
      const token = (JSON.parse(answer.body) as { token: string }).token;
      this.#oneTime.set(token, { value, reveals: 0, uncertain: false });
      this.#oneTimePool.push(token);
    }
    return outcome;
  }

  /** Detokenizes up to 10 acknowledged tokens (random and deterministic) and checks each value. */
  async #detokenizeKnown(): Promise<OutcomeClass> {
    const candidates = [...pick(this.#randomPool, 1 + randomInt(8))];
    const deterministic = [...this.#deterministic.values()];
    if (deterministic.length > 0) candidates.push(deterministic[randomInt(deterministic.length)] as string);
    if (candidates.length === 0) return this.#tokenizeOne();
    const tokens = [...new Set(candidates)];
    const expected = tokens.map((token) => this.#random.get(token) ?? this.#deterministicTokens.get(token));
    const { outcome, answer } = await this.#call(
      'detokenize',
      { method: 'POST', path: '/v1/detokenize', body: { tokens } },
      [],
    );
    if (outcome === 'ok' && answer) {
      const { results } = JSON.parse(answer.body) as {
        results: { value?: string; error?: { code: string } }[];
      };
      results.forEach((result, index) => {
        const token = tokens[index] as string;
        // A delete may have started since the request was sent: only tokens still held are judged.
        if (!this.#random.has(token) && !this.#deterministicTokens.has(token)) return;
        if (result.value === undefined)
          this.#violation('lost', `${token} answered ${result.error?.code} in the run`);
        else if (result.value !== expected[index]) this.#violation('wrongValue', `${token} in the run`);
      });
    }
    return outcome;
  }

  /** Reveals one of the latest one-time tokens: several clients race for the same one. */
  async #revealOneTime(): Promise<OutcomeClass> {
    const recent = this.#oneTimePool.slice(-4);
    if (recent.length === 0) return this.#tokenizeOneTime();
    const token = recent[randomInt(recent.length)] as string;
    const entry = this.#oneTime.get(token) as OneTime;
    const { outcome, answer } = await this.#call(
      'revealOneTime',
      { method: 'POST', path: '/v1/detokenize', body: { tokens: [token] } },
      [],
    );
    if (outcome === 'ok' && answer) {
      const [result] = (
        JSON.parse(answer.body) as { results: { value?: string; error?: { code: string } }[] }
      ).results;
      if (result?.value !== undefined) {
        if (result.value !== entry.value) this.#violation('wrongValue', `one-time ${token} in the run`);
        entry.reveals++;
        if (entry.reveals > 1) this.#violation('revealedTwice', `one-time ${token} in the run`);
      } else if (result?.error?.code !== 'exhausted') {
        // Anything but exhausted is a loss. Exhausted is judged by verify(), once every reveal is back.
        this.#violation('lost', `one-time ${token} answered ${result?.error?.code} in the run`);
      }
    } else {
      // No answer, or a 503: the use may still have been spent (a store write applied whose answer was
      // lost, then retried by the SDK and refused). Only "at most once" can be held against it.
      entry.uncertain = true;
    }
    return outcome;
  }

  async #deleteOne(): Promise<OutcomeClass> {
    if (this.#randomPool.length < 20) return this.#tokenizeOne();
    const index = randomInt(this.#randomPool.length);
    const token = this.#randomPool[index] as string;
    const value = this.#random.get(token) as string;
    // Out of the pools before the request: concurrent detokenizes stop judging it.
    this.#randomPool.splice(index, 1);
    this.#random.delete(token);
    const { outcome, answer } = await this.#call(
      'delete',
      { method: 'DELETE', path: `/v1/tokens/${token}` },
      [value],
    );
    if (outcome === 'ok' && answer?.status === 204) this.#deleted.set(token, value);
    else this.#deleteUncertain.set(token, value);
    return outcome;
  }

  async #readMetadata(): Promise<OutcomeClass> {
    const [token] = pick(this.#randomPool, 1);
    if (token === undefined) return this.#tokenizeOne();
    const value = this.#random.get(token) as string;
    const { outcome } = await this.#call('metadata', { method: 'GET', path: `/v1/tokens/${token}` }, [value]);
    return outcome;
  }

  #acknowledgeRandom(token: string, value: string): void {
    if (this.#random.has(token) || this.#deterministicTokens.has(token) || this.#oneTime.has(token)) {
      // A token handed out twice would mean two values behind one token.
      this.#violation('deterministicConflict', `${token} handed out twice`);
      return;
    }
    this.#random.set(token, value);
    this.#randomPool.push(token);
  }

  /**
   * Sends one call, classifies the outcome, and checks that an answer holds none of `values` (the values
   * the request carries, which only a reveal may answer) and that a 5xx says nothing of internals.
   */
  async #call(
    operation: string,
    call: TokenizerCall,
    values: readonly string[],
  ): Promise<{ outcome: OutcomeClass; answer?: TokenizerAnswer }> {
    this.#operations[operation] = (this.#operations[operation] ?? 0) + 1;
    const started = performance.now();
    let answer: TokenizerAnswer;
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      answer = await this.#send(call, signal);
    } catch {
      const outcome: OutcomeClass = signal.aborted ? 'timeout' : 'connection';
      this.#record(outcome, started);
      return { outcome };
    }
    const outcome = classify(answer);
    this.#record(outcome, started);
    if (values.some((value) => answer.body.includes(value))) {
      this.#violation('leakedInResponse', `${operation} answered ${answer.status} with a submitted value`);
    }
    if (answer.status >= 500 && internals.test(answer.body)) {
      this.#violation('leakedInResponse', `${operation} answered ${answer.status} naming internals`);
    }
    return { outcome, answer };
  }

  #violation(kind: keyof Violations, detail: string): void {
    this.#violations[kind]++;
    if (this.#details.length < 50) this.#details.push(`${kind}: ${detail}`);
  }

  #record(outcome: OutcomeClass, started: number): void {
    this.#outcomes[outcome]++;
    this.#maxLatencyMs = Math.max(this.#maxLatencyMs, performance.now() - started);
  }

  async #detokenizeUntil(
    tokens: string[],
    deadline: number,
  ): Promise<({ value?: string; error?: string } | undefined)[]> {
    const answer = await this.#untilAnswered(
      { method: 'POST', path: '/v1/detokenize', body: { tokens } },
      deadline,
    );
    if (answer.status !== 200) return tokens.map(() => undefined);
    const { results } = JSON.parse(answer.body) as {
      results: { value?: string; error?: { code: string } }[];
    };
    return results.map((result) => ({
      ...(result.value !== undefined ? { value: result.value } : {}),
      ...(result.error ? { error: result.error.code } : {}),
    }));
  }

  /** Retries unavailability (503, no answer) until `deadline`; any other answer is returned. */
  async #untilAnswered(call: TokenizerCall, deadline: number): Promise<TokenizerAnswer> {
    for (;;) {
      const signal = AbortSignal.timeout(this.#timeoutMs);
      try {
        const answer = await this.#send(call, signal);
        if (answer.status !== 503 || Date.now() > deadline) return answer;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error('the tokenizer did not answer the verification', { cause: error });
      }
      await sleep(200);
    }
  }

  #genericValue(): string {
    return `${this.marker}:${++this.#sequence}:${trickyText(this.#sequence)}`;
  }

  #cardValue(): string {
    const card = luhnCard();
    this.#cards.add(card);
    return card;
  }
}

function classify(answer: TokenizerAnswer): OutcomeClass {
  if (answer.status >= 200 && answer.status < 300) return 'ok';
  if (answer.status === 503) {
    const isProblem = answer.headers.contentType?.startsWith('application/problem+json') ?? false;
    return answer.headers.retryAfter && isProblem ? 'unavailable' : 'unavailable-without-retry-after';
  }
  if (answer.status >= 500) return 'server-error';
  return 'unexpected-client-error';
}

// Well-formed text that tends to break things: astral characters, combining marks, bidi controls, quotes,
// markup, C0 controls and NUL. Every one must come back byte for byte.
const tricky = [
  'plain',
  'ünïcødé',
  '𝄞 music',
  'e\u0301 combining',
  'right\u202eleft',
  '"quoted" \\ back',
  '</script><b>',
  'tab\there\nnewline',
  'nul\u0000bell\u0007',
  '日本語テキスト',
  '🙂👍🏽',
  "' OR 1=1 --",
];

function trickyText(n: number): string {
  return tricky[n % tricky.length] as string;
}

/** A random 16-digit number that passes the Luhn check (so the tokenizer takes it as a card number). */
export function luhnCard(): string {
  const digits = `9${Array.from({ length: 14 }, () => randomInt(10)).join('')}`;
  return digits + luhnCheckDigit(digits);
}

function* pick<T>(items: readonly T[], count: number): Generator<T> {
  if (items.length === 0) return;
  for (let i = 0; i < count; i++) yield items[randomInt(items.length)] as T;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface SignedSenderOptions {
  /** The tokenizer's base URL, e.g. `http://127.0.0.1:3101`. */
  baseUrl: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
}

/**
 * A Send over HTTP, signed by the tokenizer client SDK's signing fetch. Not its typed client: the ledger
 * needs every raw answer (status, headers, body) and exactly one request per call, with no retries.
 */
export function signedSender({ baseUrl, credentials, region }: SignedSenderOptions): Send {
  const signingFetch = createSigningFetch({ region, credentials });
  const base = new URL(baseUrl);
  return async (call, signal) => {
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const response = await signingFetch(new URL(call.path, base), {
      method: call.method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body }),
      signal,
    });
    return {
      status: response.status,
      headers: {
        retryAfter: response.headers.get('retry-after'),
        contentType: response.headers.get('content-type'),
      },
      body: await response.text(),
    };
  };
}

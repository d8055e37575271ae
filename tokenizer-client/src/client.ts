// The typed client of the tokenizer API: one method per operation of contracts/tokenizer.openapi.yaml,
// named after its operationId, sent through openapi-fetch (typed from the contract's generated `paths`)
// with SigV4, a timeout per attempt, bounded retries where they are safe (retry.ts) and typed errors.
import type { paths } from '@tokenization/contracts/tokenizer';
import createClient, { type Client } from 'openapi-fetch';
import {
  problemError,
  TokenizerConnectionError,
  TokenizerError,
  TokenizerResponseError,
  TokenizerTimeoutError,
} from './errors.js';
import {
  type BackoffOptions,
  mayRetry,
  parseRetryAfter,
  type ResolvedBackoff,
  resolveBackoff,
  retryDelayMs,
} from './retry.js';
import { createSigningFetch, type TokenizerCredentials } from './signing-fetch.js';
import type {
  DetokenizeRequest,
  DetokenizeResponse,
  ForwardRequest,
  ForwardResult,
  Health,
  TokenizeBatchRequest,
  TokenizeBatchResponse,
  TokenizeRequest,
  TokenizeResult,
  TokenMetadata,
  VerifyResult,
} from './types.js';

export interface TokenizerClientOptions {
  /** The API's base URL, stage included: `https://{api-id}.execute-api.{region}.amazonaws.com/prod`. */
  endpoint: string;
  /** The region the API is in (the SigV4 scope). */
  region: string;
  /** Default: the AWS default credential chain (on Lambda, the function's role). */
  credentials?: TokenizerCredentials;
  /** Limit of one attempt, answer body included. Default 5,000 ms. */
  timeoutMs?: number;
  /** Retries after the first attempt, for failures where a retry is safe. Default 2. */
  maxRetries?: number;
  backoff?: BackoffOptions;
  /** Called before each retry (to log it). */
  onRetry?: (event: RetryEvent) => void;
  /** The fetch that sends signed requests (a custom agent, a test transport); default the global one. */
  fetch?: typeof fetch;
}

export interface RetryEvent {
  operation: OperationId;
  /** The attempt that failed (1-based). */
  attempt: number;
  delayMs: number;
  error: TokenizerError;
}

export type OperationId =
  | 'tokenize'
  | 'tokenizeBatch'
  | 'detokenize'
  | 'getTokenMetadata'
  | 'deleteToken'
  | 'verify'
  | 'resetVerifyLock'
  | 'forward'
  | 'live'
  | 'ready';

export interface CallOptions {
  /** Ends the call (and its retries) with the signal's reason. */
  signal?: AbortSignal;
  /** This call's limit per attempt, instead of the client's. */
  timeoutMs?: number;
}

export interface DetokenizeOptions extends CallOptions {
  /**
   * You state that no token of this request has `maxUses`, so that a repeated full reveal spends nothing
   * and the call may be retried after a timeout or a 503. Masked reveals are retried without it.
   */
  idempotent?: boolean;
}

/** What one openapi-fetch call resolves to, for an operation whose success body is `T`. */
interface FetchOutcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

type Send<T> = (init: { signal: AbortSignal; fetch: typeof fetch }) => Promise<FetchOutcome<T>>;

export class TokenizerClient {
  readonly #api: Client<paths>;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #backoff: ResolvedBackoff;
  readonly #onRetry: ((event: RetryEvent) => void) | undefined;

  constructor(options: TokenizerClientOptions) {
    const endpoint = endpointOf(options.endpoint);
    if (!options.region) throw new TypeError('TokenizerClient: `region` is required');
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 5_000);
    this.#maxRetries = options.maxRetries ?? 2;
    if (!Number.isInteger(this.#maxRetries) || this.#maxRetries < 0) {
      throw new TypeError('TokenizerClient: `maxRetries` must be a whole number, 0 or more');
    }
    this.#backoff = resolveBackoff(options.backoff);
    this.#onRetry = options.onRetry;
    this.#fetch = createSigningFetch({
      region: options.region,
      credentials: options.credentials,
      fetch: options.fetch,
    }) as typeof fetch;
    this.#api = createClient<paths>({ baseUrl: endpoint, headers: { accept: 'application/json' } });
  }

  /** Creates a token for one value. Retried only when deterministic, or when it cannot have arrived. */
  async tokenize(request: TokenizeRequest, options?: CallOptions): Promise<TokenizeResult> {
    return this.#body(
      'tokenize',
      request.deterministic === true,
      (init) => this.#api.POST('/v1/tokens', { body: request, ...init }),
      options,
    );
  }

  /** Tokenizes up to 100 values, each on its own; retried only when every item is deterministic. */
  async tokenizeBatch(request: TokenizeBatchRequest, options?: CallOptions): Promise<TokenizeBatchResponse> {
    return this.#body(
      'tokenizeBatch',
      request.items.every((item) => item.deterministic === true),
      (init) => this.#api.POST('/v1/tokens/batch', { body: request, ...init }),
      options,
    );
  }

  /** The values behind up to 100 tokens (or masked values); item errors come back per token. */
  async detokenize(request: DetokenizeRequest, options?: DetokenizeOptions): Promise<DetokenizeResponse> {
    return this.#body(
      'detokenize',
      request.reveal === 'masked' || options?.idempotent === true,
      (init) => this.#api.POST('/v1/detokenize', { body: request, ...init }),
      options,
    );
  }

  /** What is known about a token, never its value. TokenNotFoundError when there is no such token. */
  async getTokenMetadata(token: string, options?: CallOptions): Promise<TokenMetadata> {
    return this.#body(
      'getTokenMetadata',
      true,
      (init) => this.#api.GET('/v1/tokens/{token}', { params: { path: { token } }, ...init }),
      options,
    );
  }

  /**
   * Deletes a token and its ciphertext. TokenNotFoundError when it does not exist, which is also what a
   * retry answers after an attempt whose answer was lost deleted it: treat it as "gone".
   */
  async deleteToken(token: string, options?: CallOptions): Promise<void> {
    await this.#call(
      'deleteToken',
      true,
      (init) => this.#api.DELETE('/v1/tokens/{token}', { params: { path: { token } }, ...init }),
      options,
    );
  }

  /**
   * Whether `value` is the token's value, compared inside the tokenizer; the value never comes back.
   * VerifyLockedError after too many mismatches on the token, TokenExpiredError when it has expired,
   * TokenNotFoundError when there is none. Retried only when it cannot have arrived (a mismatch counts).
   */
  async verify(token: string, value: string, options?: CallOptions): Promise<VerifyResult> {
    return this.#body(
      'verify',
      false,
      (init) =>
        this.#api.POST('/v1/tokens/{token}/verify', {
          params: { path: { token } },
          body: { value },
          ...init,
        }),
      options,
    );
  }

  /** Sets a token's verify mismatches back to zero (a security admin's operation, `verify:reset`). */
  async resetVerifyLock(token: string, options?: CallOptions): Promise<void> {
    await this.#call(
      'resetVerifyLock',
      true,
      (init) => this.#api.DELETE('/v1/tokens/{token}/verify-lock', { params: { path: { token } }, ...init }),
      options,
    );
  }

  /**
   * Sends `request` through the connection: the tokenizer puts the values of the tokens at the connection's
   * declared pointers in place and answers the destination's 2xx status, allowed headers and scrubbed body.
   * DestinationRefusedError for its 4xx, DestinationFailedError (503) when it failed, TokenUnusableError
   * for a token that cannot be used. Retried only when it cannot have arrived, or when `headers` holds an
   * `idempotency-key` (the destination answers a repeat without acting twice).
   */
  async forward(connection: string, request: ForwardRequest, options?: CallOptions): Promise<ForwardResult> {
    const idempotent = Object.keys(request.headers ?? {}).some(
      (name) => name.toLowerCase() === 'idempotency-key',
    );
    return this.#body(
      'forward',
      idempotent,
      (init) =>
        this.#api.POST('/v1/connections/{connection}/forward', {
          params: { path: { connection } },
          body: request,
          ...init,
        }),
      options,
    );
  }

  /** Liveness: the process answers. */
  async live(options?: CallOptions): Promise<Health> {
    return this.#body('live', true, (init) => this.#api.GET('/health/live', init), options);
  }

  /** Readiness: the vault store and KMS answer; TokenizerUnavailableError when not. */
  async ready(options?: CallOptions): Promise<Health> {
    return this.#body('ready', true, (init) => this.#api.GET('/health/ready', init), options);
  }

  /** A call whose success carries a body. */
  async #body<T>(operation: OperationId, repeatable: boolean, send: Send<T>, options?: CallOptions) {
    const { data, status } = await this.#call(operation, repeatable, send, options);
    if (data === undefined) throw new TokenizerResponseError(status, 'has no body');
    return data;
  }

  /** The attempts of one call: the first, then retries while mayRetry allows and retries are left. */
  async #call<T>(
    operation: OperationId,
    repeatable: boolean,
    send: Send<T>,
    options: CallOptions = {},
  ): Promise<{ data: T | undefined; status: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt(send, options);
      } catch (error) {
        if (!(error instanceof TokenizerError)) throw error;
        const delayMs =
          attempt <= this.#maxRetries && mayRetry(error, repeatable)
            ? retryDelayMs(error, attempt, this.#backoff)
            : undefined;
        if (delayMs === undefined) throw error;
        this.#onRetry?.({ operation, attempt, delayMs, error });
        await this.#backoff.sleep(delayMs, options.signal);
        options.signal?.throwIfAborted();
      }
    }
  }

  /** One signed request, answered within the timeout; anything but a 2xx is thrown as a TokenizerError. */
  async #attempt<T>(send: Send<T>, options: CallOptions): Promise<{ data: T | undefined; status: number }> {
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status: number | undefined;
    // Notes the status before openapi-fetch reads the body, for the error when the body is not JSON.
    const fetchAndNote = async (input: Request) => {
      const response = await this.#fetch(input);
      status = response.status;
      return response;
    };
    let outcome: FetchOutcome<T>;
    try {
      outcome = await send({ signal, fetch: fetchAndNote as typeof fetch });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) throw new TokenizerTimeoutError(timeoutMs, { cause: error });
      if (error instanceof TokenizerError) throw error;
      // openapi-fetch parses a 2xx body with JSON.parse; no cause kept (the SyntaxError quotes the body).
      if (error instanceof SyntaxError) throw new TokenizerResponseError(status, 'is not JSON');
      throw new TokenizerConnectionError(status !== undefined || !neverConnected(error), { cause: error });
    }
    const { response } = outcome;
    if (response.ok) return { data: outcome.data, status: response.status };
    if (response.status < 400)
      throw new TokenizerResponseError(response.status, 'is not a documented status');
    throw problemError(response.status, outcome.error, parseRetryAfter(response.headers.get('retry-after')));
  }
}

function endpointOf(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError('TokenizerClient: `endpoint` must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('TokenizerClient: `endpoint` must be an absolute http(s) URL');
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new TypeError('TokenizerClient: `endpoint` takes no query, fragment or user info');
  }
  return url.href.replace(/\/+$/, '');
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new TypeError(`TokenizerClient: \`${name}\` must be a positive whole number`);
  }
  return value;
}

// Failures of the connect step: no connection was made, so no request was sent.
const connectFailures = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** True when fetch failed before a connection was made (its `cause` chain names a connect failure). */
function neverConnected(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === 'string' && connectFailures.has(code)) return true;
    // Happy eyeballs: every address tried, each refused.
    if (Array.isArray(errors) && errors.length > 0 && errors.every(neverConnected)) return true;
    current = cause;
  }
  return false;
}

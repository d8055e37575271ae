import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { components } from '@tokenization/contracts/tokenizer';
import { type CardBrand, cardBrands } from '../domain/card.js';
import {
  CardTokenUnusableError,
  DependencyUnavailableError,
  TokenizerRejectedError,
} from '../domain/errors.js';
import type { CardTokenizer, TokenizedCard } from '../domain/ports.js';

type Schemas = components['schemas'];

export interface TokenizerClientOptions {
  /** The tokenizer API's base URL, stage path included (`https://…/prod`). */
  baseUrl: string;
  /** Region of the SigV4 signature (service `execute-api`). */
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Limit of one attempt, answer body included. */
  timeoutMs: number;
  /** Attempts of an idempotent call (detokenize, delete); tokenize is sent once. */
  maxAttempts?: number;
  /** Full-jitter backoff: a random delay below min(cap, base × 2^(attempt-1)). */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A Retry-After up to this is waited for; a longer one ends the retries and is passed to the client. */
  maxRetryAfterMs?: number;
  logger?: { warn(context: object, message: string): void };
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

interface Answer {
  status: number;
  body: string;
}

/** One failed attempt: the error to throw if it is the last, and the wait the server asked for. */
interface Failure {
  error: DependencyUnavailableError;
  retryAfterMs?: number;
}

const retryableStatus = (status: number) => status === 429 || status >= 500;
const tokenPattern = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The tokenizer's HTTP API, every request signed with SigV4. An attempt that times out, cannot connect,
 * is throttled (429) or meets a server fault (5xx) is retried, for idempotent calls only, with full jitter;
 * when the attempts run out the failure is a DependencyUnavailableError, which the client sees as 503.
 */
export class TokenizerHttpClient implements CardTokenizer {
  readonly #baseUrl: URL;
  readonly #signer: SignatureV4;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #backoffBaseMs: number;
  readonly #backoffCapMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #logger: TokenizerClientOptions['logger'];
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: TokenizerClientOptions) {
    this.#baseUrl = new URL(options.baseUrl.endsWith('/') ? options.baseUrl : `${options.baseUrl}/`);
    this.#signer = new SignatureV4({
      service: 'execute-api',
      region: options.region,
      credentials: options.credentials,
      sha256: Sha256,
    });
    this.#timeoutMs = options.timeoutMs;
    this.#maxAttempts = options.maxAttempts ?? 3;
    this.#backoffBaseMs = options.backoffBaseMs ?? 100;
    this.#backoffCapMs = options.backoffCapMs ?? 1_000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 2_000;
    this.#logger = options.logger;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
  }

  async tokenize(cardNumber: string): Promise<TokenizedCard> {
    // A card number: the tokenizer checks it (Luhn) and answers its last four and brand. The options it
    // defaults (a random token, not deterministic, ...) are left to it.
    const request: Schemas['TokenizeRequest'] = { value: cardNumber, type: 'card_number' };
    const answer = await this.#call('POST', 'v1/tokens', request, { idempotent: false });
    if (answer.status !== 201) throw rejected(answer);
    const result = parseJson(answer) as Partial<Schemas['TokenizeResult']>;
    if (typeof result.token !== 'string' || !tokenPattern.test(result.token)) {
      throw new TokenizerRejectedError(answer.status, 'the tokenizer answered without a token');
    }
    const card = cardFacts(result.card);
    return card ? { token: result.token, card } : { token: result.token };
  }

  async detokenize(token: string): Promise<string> {
    const request: Pick<Schemas['DetokenizeRequest'], 'tokens'> = { tokens: [token] };
    const answer = await this.#call('POST', 'v1/detokenize', request, { idempotent: true });
    if (answer.status !== 200) throw rejected(answer);
    const result = (parseJson(answer) as Partial<Schemas['DetokenizeResponse']>).results?.[0];
    if (result && 'value' in result && typeof result.value === 'string') return result.value;
    const code = result && 'error' in result ? String(result.error.code) : 'no_result';
    throw new CardTokenUnusableError(code);
  }

  async deleteToken(token: string): Promise<void> {
    const answer = await this.#call('DELETE', `v1/tokens/${encodeURIComponent(token)}`, undefined, {
      idempotent: true,
    });
    // 404: already gone, perhaps by an earlier attempt whose answer was lost.
    if (answer.status !== 204 && answer.status !== 404) throw rejected(answer);
  }

  async #call(
    method: string,
    path: string,
    body: unknown,
    { idempotent }: { idempotent: boolean },
  ): Promise<Answer> {
    const attempts = idempotent ? this.#maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(method, path, body);
      if ('status' in outcome) return outcome;
      const delay = this.#retryDelay(attempt, outcome.retryAfterMs);
      if (attempt >= attempts || delay === undefined) throw outcome.error;
      this.#logger?.warn({ dependency: 'tokenizer', attempt, delayMs: Math.round(delay) }, 'retrying');
      await this.#sleep(delay);
    }
  }

  /** One signed request, answer read within the timeout; a retryable failure is returned, not thrown. */
  async #attempt(method: string, path: string, body: unknown): Promise<Answer | Failure> {
    const url = new URL(path, this.#baseUrl);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const signed = await this.#signer.sign(
      new HttpRequest({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        headers: {
          host: url.host,
          accept: 'application/json',
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(payload === undefined ? {} : { body: payload }),
      }),
    );
    // fetch sets Host itself, from the same URL the signature covers.
    const { host: _host, ...headers } = signed.headers;
    let answer: Answer;
    let retryAfter: string | null;
    try {
      const response = await this.#fetch(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      answer = { status: response.status, body: await response.text() };
      retryAfter = response.headers.get('retry-after');
    } catch (error) {
      // fetch throws only when no answer came: refused, reset, unresolvable, or timed out.
      return { error: new DependencyUnavailableError('tokenizer', { cause: error }) };
    }
    if (!retryableStatus(answer.status)) return answer;
    const retryAfterSeconds = parseRetryAfter(retryAfter);
    return {
      error: new DependencyUnavailableError('tokenizer', {
        cause: new Error(`the tokenizer answered ${answer.status}`),
        ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
      }),
      ...(retryAfterSeconds === undefined ? {} : { retryAfterMs: retryAfterSeconds * 1000 }),
    };
  }

  /** The wait before the next attempt, or undefined when the server asked for longer than we wait. */
  #retryDelay(attempt: number, retryAfterMs: number | undefined): number | undefined {
    if (retryAfterMs !== undefined) return retryAfterMs <= this.#maxRetryAfterMs ? retryAfterMs : undefined;
    return this.#random() * Math.min(this.#backoffCapMs, this.#backoffBaseMs * 2 ** (attempt - 1));
  }
}

/** Retry-After in seconds (the tokenizer sends seconds; an HTTP date is converted). */
function parseRetryAfter(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function parseJson(answer: Answer): unknown {
  try {
    return JSON.parse(answer.body);
  } catch (error) {
    throw new TokenizerRejectedError(answer.status, 'the tokenizer answered with a body that is not JSON', {
      cause: error,
    });
  }
}

/** A 4xx other than 429: this service's request or its permissions are wrong, which no retry cures. */
function rejected(answer: Answer): TokenizerRejectedError {
  let problemType = '';
  try {
    const type = (JSON.parse(answer.body) as { type?: unknown }).type;
    if (typeof type === 'string' && /^[\w:.-]{1,100}$/.test(type)) problemType = ` (${type})`;
  } catch {
    // not a problem document
  }
  return new TokenizerRejectedError(answer.status, `the tokenizer answered ${answer.status}${problemType}`);
}

// The order stores the tokenizer's brand codes: the contract's list and the domain's must be the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const brandCodesAgree: Same<Schemas['CardFacts']['brand'], CardBrand> = true;
void brandCodesAgree;

/** The tokenizer's card facts when it sent well-formed ones. */
function cardFacts(value: unknown): { last4: string; brand: CardBrand } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { last4, brand } = value as { last4?: unknown; brand?: unknown };
  const knownBrand = cardBrands.find((known) => known === brand);
  return typeof last4 === 'string' && /^\d{4}$/.test(last4) && knownBrand
    ? { last4, brand: knownBrand }
    : undefined;
}

// The bench's load generator, kept light so that its own CPU stays well below the service's: a keep-alive
// HTTP client (node:http, or fetch to compare), and SigV4 signatures made once and replayed within their
// validity where the request may repeat, or made per request with the signer's cached signing key.
import { randomBytes } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { createRequestSigner, type RequestSigner } from '@tokenization/tokenizer-client';
import type { HttpClientName } from './options.js';
import type { Operation } from './runner.js';
import { batchSize, randomCardNumber } from './workload.js';

export interface LightResponse {
  status: number;
  body: string;
}

export interface HttpClient {
  post(url: URL, headers: Record<string, string>, body: string): Promise<LightResponse>;
  close(): void;
}

/** No request of the bench waits longer than this (then it counts as failed). */
const requestTimeoutMs = 60_000;

/** node:http with one keep-alive Agent: no per-request URL, Headers or stream objects beyond the socket's. */
export function nodeHttpClient(): HttpClient {
  const agent = new Agent({ keepAlive: true, maxSockets: 1024 });
  return {
    post: (url, headers, body) =>
      new Promise((resolve, reject) => {
        const request = httpRequest(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { ...headers, 'content-length': Buffer.byteLength(body) },
            timeout: requestTimeoutMs,
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              text += chunk;
            });
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
            response.on('error', reject);
          },
        );
        request.on('timeout', () => request.destroy(new Error('timed out')));
        request.on('error', reject);
        request.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** The global fetch (undici, keep-alive by default): measured against node:http with --http-client fetch. */
export function fetchClient(): HttpClient {
  return {
    post: async (url, headers, body) => {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      return { status: response.status, body: await response.text() };
    },
    close: () => {},
  };
}

export function httpClient(name: HttpClientName): HttpClient {
  return name === 'fetch' ? fetchClient() : nodeHttpClient();
}

/**
 * A signed request made once and sent again until it is `maxAgeMs` old (SigV4 signatures are valid for
 * 5 minutes; the tokenizer accepts a replay within that window), then signed anew.
 */
export class ReplayedRequest {
  #headers: Record<string, string> | undefined;
  #signedAt = 0;
  #signing: Promise<Record<string, string>> | undefined;

  constructor(
    readonly sign: RequestSigner,
    readonly url: URL,
    readonly body: string,
    readonly maxAgeMs = 60_000,
  ) {}

  headers(): Record<string, string> | Promise<Record<string, string>> {
    if (this.#headers && performance.now() - this.#signedAt < this.maxAgeMs) return this.#headers;
    this.#signing ??= signPost(this.sign, this.url, this.body).then((headers) => {
      this.#headers = headers;
      this.#signedAt = performance.now();
      this.#signing = undefined;
      return headers;
    });
    return this.#signing;
  }
}

/** Headers of a signed JSON POST: the signer (made once) reuses its derived signing key for the day. */
export function signPost(sign: RequestSigner, url: URL, body: string): Promise<Record<string, string>> {
  return sign({
    method: 'POST',
    path: url.pathname,
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
}

export type TokenizerScenario =
  | 'tokenize'
  | 'tokenize-batch'
  | 'detokenize'
  | 'detokenize-batch'
  | 'tokenize-deterministic';

/** The tokenizer's closed-loop operations, sent through `client` as the bench principal. */
export class TokenizerLoad {
  readonly #sign: RequestSigner;

  constructor(
    readonly baseUrl: string,
    readonly client: HttpClient,
    options: { region: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  ) {
    this.#sign = createRequestSigner({ region: options.region, credentials: options.credentials });
  }

  /**
   * Replayed where a repeat does the same work (tokenize creates a new token for the same value, detokenize
   * reads again); signed per request where the body must vary (a repeated deterministic tokenization would
   * only read). Detokenize scenarios read tokens of `pool`, a different window per worker.
   */
  operation(scenario: TokenizerScenario, pool: readonly string[]): Operation {
    switch (scenario) {
      case 'tokenize':
        return this.#replayed('/v1/tokens', () => ({ value: randomCardNumber() }), 201);
      case 'tokenize-batch':
        return this.#replayed(
          '/v1/tokens/batch',
          () => ({ items: Array.from({ length: batchSize }, () => ({ value: randomCardNumber() })) }),
          200,
        );
      case 'detokenize':
        return this.#replayed('/v1/detokenize', (worker) => ({ tokens: [pool[worker % pool.length]] }), 200);
      case 'detokenize-batch':
        return this.#replayed(
          '/v1/detokenize',
          (worker) => ({
            tokens: Array.from(
              { length: batchSize },
              (_, i) => pool[(worker * batchSize + i) % pool.length] as string,
            ),
          }),
          200,
        );
      case 'tokenize-deterministic': {
        const url = new URL('/v1/tokens', this.baseUrl);
        return async () => {
          // A new value each time: the path that writes a token and its fingerprint.
          const body = JSON.stringify({ value: randomCardNumber(), deterministic: true });
          await this.#send(url, await signPost(this.#sign, url, body), body, 201);
        };
      }
    }
  }

  /** One signed request per worker, replayed. */
  #replayed(path: string, bodyOf: (worker: number) => unknown, expected: number): Operation {
    const url = new URL(path, this.baseUrl);
    const requests = new Map<number, ReplayedRequest>();
    return async (worker) => {
      let replayed = requests.get(worker);
      if (!replayed) {
        replayed = new ReplayedRequest(this.#sign, url, JSON.stringify(bodyOf(worker)));
        requests.set(worker, replayed);
      }
      await this.#send(url, await replayed.headers(), replayed.body, expected);
    };
  }

  async #send(url: URL, headers: Record<string, string>, body: string, expected: number): Promise<void> {
    const response = await this.client.post(url, headers, body);
    checkAnswer(response, expected);
  }
}

/**
 * The operations in turn, one request each, whichever worker sends it: with one operation per caller, the
 * load spreads evenly over the callers' tenants at any concurrency (1 included).
 */
export function roundRobin(operations: readonly Operation[]): Operation {
  if (operations.length === 0) throw new Error('roundRobin needs at least one operation');
  let next = 0;
  return (worker) => {
    const operation = operations[next] as Operation;
    next = (next + 1) % operations.length;
    return operation(worker);
  };
}

/**
 * Throws the status and problem type (never a value) when the answer is not `expected`, or when an item of a
 * batch or detokenization failed (its error object), without parsing the whole body.
 */
export function checkAnswer(response: LightResponse, expected: number): void {
  if (response.status !== expected) {
    const type = /"type"\s*:\s*"([^"]{0,200})"/.exec(response.body)?.[1];
    throw new Error(`HTTP ${response.status}${type ? ` ${type}` : ''}`);
  }
  if (response.body.includes('"error"')) {
    const code = /"code"\s*:\s*"([^"]{0,100})"/.exec(response.body)?.[1] ?? 'unknown';
    throw new Error(`an item failed: ${code}`);
  }
}

/** The order service's API as a signed-in user calls it, through the bench's light HTTP client. */
export class OrderWorkload {
  /** Orders created and not yet paid: what the paybill scenario pays. */
  readonly unpaid: string[] = [];
  readonly #headers: Record<string, string>;

  constructor(
    readonly baseUrl: string,
    idToken: string,
    readonly client: HttpClient,
  ) {
    this.#headers = { authorization: idToken, 'content-type': 'application/json' };
  }

  async createOrder(): Promise<void> {
    // No digit runs: the order service refuses free text that could hold a card number (a UUID can).
    const CustomerOrder = `bench-${randomBytes(12).toString('base64url').replace(/\d/g, 'x')}`;
    const response = await this.#post('/order', {
      CustomerOrder,
      CustomerName: 'Bench Customer',
      CreditCard: randomCardNumber(),
      Address: '1 Loopback Road, Localhost',
    });
    checkAnswer(response, 200);
    this.unpaid.push(CustomerOrder);
  }

  async payBill(CustomerOrder: string): Promise<void> {
    checkAnswer(await this.#post('/paybill', { CustomerOrder }), 200);
  }

  /** Creates orders until `count` are unpaid, `concurrency` at a time; gives up after 10 failures in a row. */
  async ensureUnpaid(count: number, concurrency = 16): Promise<void> {
    let failuresInARow = 0;
    const worker = async () => {
      while (this.unpaid.length < count) {
        try {
          await this.createOrder();
          failuresInARow = 0;
        } catch (error) {
          if (++failuresInARow >= 10) throw error;
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  operation(scenario: 'order' | 'paybill', onShortage: () => void): Operation {
    if (scenario === 'order') return () => this.createOrder();
    return async () => {
      let order = this.unpaid.pop();
      if (order === undefined) {
        // More payments than orders prepared: make one now (its time counts against this worker).
        onShortage();
        await this.createOrder();
        order = this.unpaid.pop() as string;
      }
      await this.payBill(order);
    };
  }

  #post(path: string, body: unknown): Promise<LightResponse> {
    return this.client.post(new URL(`${this.baseUrl}${path}`), this.#headers, JSON.stringify(body));
  }
}

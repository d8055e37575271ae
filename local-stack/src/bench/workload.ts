import { randomBytes, randomInt } from 'node:crypto';
import { luhnCheckDigit } from '@tokenization/service-kit/card';
import type { SignedFetcher } from '../stack/signed-fetch.js';
import type { Operation } from './runner.js';

/** Items per batch request (the contract's maximum). */
export const batchSize = 100;

/** No request of the bench waits longer than this (then it counts as failed). */
const requestTimeoutMs = 60_000;

/** A random 16-digit number that passes the Luhn check, starting with 4 (a Visa-like test value). */
export function randomCardNumber(): string {
  let digits = '4';
  for (let i = 0; i < 14; i++) digits += randomInt(10);
  return digits + luhnCheckDigit(digits);
}

/** Reads a JSON answer; a status other than `expected` throws its status and problem type (never a value). */
export async function expectJson<T>(response: Response, expected: number): Promise<T> {
  const text = await response.text();
  if (response.status !== expected) {
    let type = '';
    try {
      type = String((JSON.parse(text) as { type?: unknown }).type ?? '');
    } catch {
      // not JSON: the status says enough
    }
    throw new Error(`HTTP ${response.status}${type ? ` ${type}` : ''}`);
  }
  return JSON.parse(text) as T;
}

type ItemResult = { token: string; value?: string; error?: { code: string } };

/** The tokenizer's API as the bench calls it: `fetcher` signs as the bench principal. */
export class TokenizerWorkload {
  constructor(
    readonly baseUrl: string,
    readonly fetcher: SignedFetcher,
  ) {}

  async tokenize(value: string, deterministic = false): Promise<string> {
    const response = await this.#post('/v1/tokens', deterministic ? { value, deterministic } : { value });
    return (await expectJson<{ token: string }>(response, 201)).token;
  }

  async tokenizeBatch(values: string[]): Promise<string[]> {
    const response = await this.#post('/v1/tokens/batch', { items: values.map((value) => ({ value })) });
    const { results } = await expectJson<{ results: Partial<ItemResult>[] }>(response, 200);
    const failed = results.find((result) => typeof result.token !== 'string');
    if (failed || results.length !== values.length)
      throw new Error(`batch item failed: ${failed?.error?.code ?? 'missing result'}`);
    return results.map((result) => result.token as string);
  }

  async detokenize(tokens: string[]): Promise<void> {
    const response = await this.#post('/v1/detokenize', { tokens });
    const { results } = await expectJson<{ results: ItemResult[] }>(response, 200);
    const failed = results.find((result) => typeof result.value !== 'string');
    if (failed || results.length !== tokens.length)
      throw new Error(`detokenize item failed: ${failed?.error?.code ?? 'missing result'}`);
  }

  /** `count` tokens of random card numbers, one batch at a time; a 503 (a cold DynamoDB Local) is retried. */
  async tokenPool(count: number): Promise<string[]> {
    const pool: string[] = [];
    for (let attempt = 1; pool.length < count; attempt++) {
      try {
        pool.push(...(await this.tokenizeBatch(Array.from({ length: batchSize }, randomCardNumber))));
        attempt = 0;
      } catch (error) {
        if (attempt >= 5 || !(error as Error).message.startsWith('HTTP 503')) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
    return pool.slice(0, count);
  }

  /** The closed-loop operation of a tokenizer scenario; detokenize scenarios read tokens of `pool`. */
  operation(
    scenario: 'tokenize' | 'tokenize-batch' | 'detokenize' | 'detokenize-batch' | 'tokenize-deterministic',
    pool: readonly string[],
  ): Operation {
    switch (scenario) {
      case 'tokenize':
        return async () => void (await this.tokenize(randomCardNumber()));
      case 'tokenize-deterministic':
        // A new value each time: the path that writes a token and its fingerprint (a repeat only reads).
        return async () => void (await this.tokenize(randomCardNumber(), true));
      case 'tokenize-batch':
        return async () =>
          void (await this.tokenizeBatch(Array.from({ length: batchSize }, randomCardNumber)));
      case 'detokenize':
        return () => this.detokenize([pick(pool)]);
      case 'detokenize-batch':
        return () => this.detokenize(window(pool, batchSize));
    }
  }

  #post(path: string, body: unknown): Promise<Response> {
    return this.fetcher(`${this.baseUrl}${path}`, { body, signal: AbortSignal.timeout(requestTimeoutMs) });
  }
}

/** The order service's API as a signed-in user calls it. */
export class OrderWorkload {
  /** Orders created and not yet paid: what the paybill scenario pays. */
  readonly unpaid: string[] = [];

  constructor(
    readonly baseUrl: string,
    readonly idToken: string,
  ) {}

  async createOrder(): Promise<void> {
    // No digit runs: the order service refuses free text that could hold a card number (a UUID can).
    const CustomerOrder = `bench-${randomBytes(12).toString('base64url').replace(/\d/g, 'x')}`;
    const response = await this.#post('/order', {
      CustomerOrder,
      CustomerName: 'Bench Customer',
      CreditCard: randomCardNumber(),
      Address: '1 Loopback Road, Localhost',
    });
    await expectJson(response, 200);
    this.unpaid.push(CustomerOrder);
  }

  async payBill(CustomerOrder: string): Promise<void> {
    await expectJson(await this.#post('/paybill', { CustomerOrder }), 200);
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

  #post(path: string, body: unknown): Promise<Response> {
    return fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: this.idToken, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
  }
}

function pick<T>(values: readonly T[]): T {
  return values[randomInt(values.length)] as T;
}

/** `size` consecutive values from a random start, wrapping around: distinct as long as the pool is larger. */
function window<T>(values: readonly T[], size: number): T[] {
  const start = randomInt(values.length);
  return Array.from({ length: size }, (_, i) => values[(start + i) % values.length] as T);
}

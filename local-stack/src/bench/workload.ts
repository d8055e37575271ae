import { randomInt } from 'node:crypto';
import { luhnCheckDigit } from '@tokenization/service-kit/card';
import type { SignedFetcher } from '../stack/signed-fetch.js';

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

/** The tokenizer's API for the bench's preparation (untimed; the measured load is load-generator.ts). */
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

  #post(path: string, body: unknown): Promise<Response> {
    return this.fetcher(`${this.baseUrl}${path}`, { body, signal: AbortSignal.timeout(requestTimeoutMs) });
  }
}

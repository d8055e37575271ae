// The real tokenizer app (its production adapters, DynamoDB Local, the local KMS stand-in, its SigV4
// verifier) built by the tokenizer's test helper and served on loopback, so the client talks real HTTP to it.

import { TokenizerClient, type TokenizerClientOptions } from '@tokenization/tokenizer-client';
import type { Test } from 'tap';
import {
  createTestStack,
  type TestStack,
  type TestStackOptions,
  testCaller,
  testRegion,
} from './test-stack.js';

export interface LiveTokenizer {
  stack: TestStack;
  /** The app's base URL on loopback. */
  endpoint: string;
  /** A client of this tokenizer, signing as the test caller unless told otherwise. */
  client(options?: Partial<TokenizerClientOptions>): TokenizerClient;
}

export async function startLiveTokenizer(t: Test, options: TestStackOptions = {}): Promise<LiveTokenizer> {
  const stack = await createTestStack(t, options);
  const address = await stack.app.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = address.replace('localhost', '127.0.0.1');
  return {
    stack,
    endpoint,
    client: (overrides = {}) =>
      new TokenizerClient({
        endpoint,
        region: testRegion,
        credentials: testCaller.credentials,
        ...overrides,
      }),
  };
}

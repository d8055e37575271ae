// A client with test-only keys whose waits between attempts are recorded instead of slept, and whose
// attempts (requests handed to fetch, answered or not) are counted.
import { TokenizerClient, type TokenizerClientOptions } from '../../src/index.js';

export const scriptedCredentials = { accessKeyId: 'AKIDCLIENTTEST', secretAccessKey: 'client-test-secret' };
export const scriptedRegion = 'eu-west-1';

export function scriptedClient(endpoint: string, options: Partial<TokenizerClientOptions> = {}) {
  const sleeps: number[] = [];
  const attempts = { count: 0 };
  const client = new TokenizerClient({
    endpoint,
    region: scriptedRegion,
    credentials: scriptedCredentials,
    timeoutMs: 2_000,
    fetch: (input, init) => {
      attempts.count++;
      return fetch(input, init);
    },
    ...options,
    backoff: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options.backoff,
    },
  });
  return { client, sleeps, attempts };
}

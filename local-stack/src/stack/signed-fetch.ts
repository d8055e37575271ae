// fetch to the tokenizer, signed by the tokenizer client SDK (SigV4 for `execute-api`), for the tools that
// need raw answers: the local stack's readiness wait and the bench.
import { createSigningFetch } from '@tokenization/tokenizer-client';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedFetchOptions {
  method?: string;
  body?: unknown;
  credentials: Credentials;
  region: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** fetch, signed with SigV4 for `execute-api`, as callers of the tokenizer's private API sign. */
export async function signedFetch(url: string, options: SignedFetchOptions): Promise<Response> {
  return signedFetcher(options)(url, options);
}

export type SignedFetcher = (
  url: string,
  request?: Pick<SignedFetchOptions, 'method' | 'body' | 'headers' | 'signal'>,
) => Promise<Response>;

/** A signedFetch bound to one caller, reusing its signer (and its cached signing key) for every request. */
export function signedFetcher({
  credentials,
  region,
}: Pick<SignedFetchOptions, 'credentials' | 'region'>): SignedFetcher {
  const signingFetch = createSigningFetch({ region, credentials });
  return (url, options = {}) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return signingFetch(url, {
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      ...(body === undefined ? {} : { body }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  };
}

import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

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
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
  return (url, options = {}) => signAndFetch(signer, url, options);
}

async function signAndFetch(
  signer: SignatureV4,
  url: string,
  options: Pick<SignedFetchOptions, 'method' | 'body' | 'headers' | 'signal'>,
): Promise<Response> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const signed = await signer.sign(
    new HttpRequest({
      method: options.method ?? (body === undefined ? 'GET' : 'POST'),
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query: Object.fromEntries(target.searchParams),
      headers: {
        host: target.host,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(body === undefined ? {} : { body }),
    }),
  );
  return fetch(url, {
    method: signed.method,
    headers: signed.headers,
    ...(body === undefined ? {} : { body }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

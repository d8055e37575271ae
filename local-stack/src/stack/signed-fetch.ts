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
}

/** fetch, signed with SigV4 for `execute-api`, as callers of the tokenizer's private API sign. */
export async function signedFetch(url: string, options: SignedFetchOptions): Promise<Response> {
  const target = new URL(url);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
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
  });
}

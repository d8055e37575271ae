// fetch with AWS Signature Version 4 for `execute-api`: the one place requests to the tokenizer are signed.
// The typed client sends through it; tools that need raw answers (the soak, the bench) may use it alone.
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { TokenizerCredentialsError } from './errors.js';

/** Fixed credentials, or a provider asked before every signature (it may cache and refresh them). */
export type TokenizerCredentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

/** API Gateway's signing name: the tokenizer is an API Gateway REST API with AWS_IAM authorization. */
export const signingService = 'execute-api';

export interface SigningFetchOptions {
  /** The region the API is in (the signature's scope). */
  region: string;
  /** Default: the AWS default credential chain (environment, SSO, shared files, container, instance role). */
  credentials?: TokenizerCredentials | undefined;
  /** The fetch that sends the signed request; default the global one. */
  fetch?: typeof fetch | undefined;
}

/** A fetch: same arguments, same answers, every request signed. */
export type SigningFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface RequestSignerOptions {
  region: string;
  /** Default: the AWS default credential chain. */
  credentials?: TokenizerCredentials | undefined;
  /** Default `execute-api`. */
  service?: string | undefined;
  /** Send and sign X-Amz-Content-SHA256, as the AWS SDKs do; default true. */
  bodyHashHeader?: boolean | undefined;
}

/** What is signed: the method, the path as sent, the query as AWS reads it, every header given, the body. */
export interface RequestToSign {
  method: string;
  /** The path as sent (percent-encoded), e.g. `/v1/tokens/tok_x`. */
  path: string;
  /** The query as sent, with or without its `?`; a `+` in it is a space, as AWS reads it. */
  search?: string | undefined;
  /** Lower-case names; `host` is required (the verifier checks it is signed). */
  headers: Record<string, string>;
  body?: Uint8Array | string | undefined;
}

/** Signs requests and answers the headers to send; made once, so the derived signing keys are reused. */
export type RequestSigner = (
  request: RequestToSign,
  options?: { date?: Date },
) => Promise<Record<string, string>>;

export function createRequestSigner(options: RequestSignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? signingService,
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    // node:crypto's SHA-256, not a pure-JavaScript one: signing is on every request's path.
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: options.bodyHashHeader ?? true,
  });
  return async ({ method, path, search, headers, body }, { date } = {}) => {
    try {
      const signed = await signer.sign(
        new HttpRequest({
          method,
          protocol: 'https:',
          hostname: headers.host ?? '',
          path,
          query: queryOf(new URLSearchParams(search ?? '')),
          headers,
          ...(body === undefined ? {} : { body }),
        }),
        date ? { signingDate: date } : {},
      );
      return signed.headers;
    } catch (error) {
      throw new TokenizerCredentialsError({ cause: error });
    }
  };
}

export function createSigningFetch(options: SigningFetchOptions): SigningFetch {
  const sign = createRequestSigner(options);
  const send = options.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.body === null ? undefined : new Uint8Array(await request.arrayBuffer());
    // Every header the request carries is signed, and Host, which fetch derives from the same URL.
    const headers: Record<string, string> = { host: url.host };
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const { host: _host, ...signedHeaders } = await sign({
      method: request.method,
      path: url.pathname,
      search: url.search,
      headers,
      body,
    });
    return send(url, {
      method: request.method,
      headers: signedHeaders,
      ...(body === undefined ? {} : { body }),
      signal: request.signal,
      // A signed request is for this host only: a redirect is answered to the caller, not followed.
      redirect: 'manual',
    });
  };
}

function queryOf(params: URLSearchParams): Record<string, string | string[]> {
  // No prototype: a parameter named `__proto__` stays a parameter.
  const query: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of params) {
    const previous = query[name];
    query[name] = previous === undefined ? value : [previous, value].flat();
  }
  return query;
}

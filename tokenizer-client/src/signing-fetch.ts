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

export function createSigningFetch(options: SigningFetchOptions): SigningFetch {
  const signer = new SignatureV4({
    service: signingService,
    region: options.region,
    credentials: options.credentials ?? defaultProvider(),
    // node:crypto's SHA-256, not a pure-JavaScript one: signing is on every request's path.
    sha256: Hash.bind(null, 'sha256'),
  });
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
    let signed: HttpRequest;
    try {
      signed = (await signer.sign(
        new HttpRequest({
          method: request.method,
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: queryOf(url.searchParams),
          headers,
          ...(body === undefined ? {} : { body }),
        }),
      )) as HttpRequest;
    } catch (error) {
      throw new TokenizerCredentialsError({ cause: error });
    }
    const { host: _host, ...signedHeaders } = signed.headers;
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

// Signs requests with AWS Signature Version 4 exactly as an AWS SDK caller does (`@smithy/signature-v4`),
// for any test suite that calls the tokenizer: no tap or app imports here.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Session credentials: sent (and signed) as X-Amz-Security-Token. */
  sessionToken?: string;
}

export interface RequestToSign {
  method: string;
  /** Path and query as sent, e.g. `/v1/tokens/tok_x` or `/v1/tokens?a=1`. */
  url: string;
  /** Headers to send and sign; `host` is required (the tokenizer checks it is signed). */
  headers: Record<string, string>;
  body?: string | Buffer;
  credentials: SigningCredentials;
  /** Signing time; default now. */
  date?: Date;
  /** Default `us-east-1`. */
  region?: string;
  /** Default `execute-api`. */
  service?: string;
  /** Send X-Amz-Content-SHA256 as the AWS SDK does; default true. */
  bodyHashHeader?: boolean;
}

/** The headers to send: the given ones (lower-cased) plus Authorization, X-Amz-Date and the rest signed. */
export async function signRequest(request: RequestToSign): Promise<Record<string, string>> {
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const separator = request.url.indexOf('?');
  const signer = new SignatureV4({
    service: request.service ?? 'execute-api',
    region: request.region ?? 'us-east-1',
    credentials: request.credentials,
    sha256: Sha256,
    applyChecksum: request.bodyHashHeader ?? true,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'https:',
      hostname: headers.host ?? '',
      path: separator < 0 ? request.url : request.url.slice(0, separator),
      query: separator < 0 ? {} : queryOf(request.url.slice(separator + 1)),
      headers,
      body: request.body,
    }),
    { signingDate: request.date ?? new Date() },
  );
  return signed.headers;
}

/** The query as AWS reads it (a `+` is a space): the signer encodes each name and value again. */
function queryOf(search: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  const decode = (text: string) => decodeURIComponent(text.replaceAll('+', ' '));
  for (const pair of search.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decode(equals < 0 ? pair : pair.slice(0, equals));
    const value = equals < 0 ? '' : decode(pair.slice(equals + 1));
    const previous = query[name];
    query[name] = previous === undefined ? value : [previous, value].flat();
  }
  return query;
}

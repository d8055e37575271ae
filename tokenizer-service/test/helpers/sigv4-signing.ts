// Signs raw requests (the hostile-input and SigV4 tests send what fetch would not) with the client SDK's
// signer, the one every caller of the tokenizer uses: no tap or app imports here.
import { createRequestSigner } from '@tokenization/tokenizer-client';

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
  const sign = createRequestSigner({
    region: request.region ?? 'us-east-1',
    credentials: request.credentials,
    service: request.service,
    bodyHashHeader: request.bodyHashHeader,
  });
  return sign(
    {
      method: request.method,
      path: separator < 0 ? request.url : request.url.slice(0, separator),
      search: separator < 0 ? '' : request.url.slice(separator + 1),
      headers,
      body: request.body,
    },
    request.date ? { date: request.date } : {},
  );
}

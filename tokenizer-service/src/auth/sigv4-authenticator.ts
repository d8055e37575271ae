// Dev-only: verifies AWS Signature Version 4 where no API Gateway does it (the local stack, docker-compose,
// tests). The Lambda entry must not import this module: on AWS, API Gateway verifies signatures.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../domain/ports.js';
import { AuthenticationError, type Authenticator } from './authenticator.js';
import type { PrincipalArn } from './permissions.js';

/** A key pair the local stack accepts, and the principal it stands for. */
export interface SigV4Credential {
  accessKeyId: string;
  secretAccessKey: string;
  principalArn: PrincipalArn;
}

export interface SigV4AuthenticatorOptions {
  credentials: readonly SigV4Credential[];
  /** The region callers sign for (the credential scope must name it). */
  region: string;
  clock: Clock;
  /** Largest accepted difference between the signing time and now; AWS allows 5 minutes. */
  maxClockSkewMs?: number;
}

/** The parts of a received request a signature covers. */
export interface SignedRequest {
  method: string;
  /** Path and query string exactly as received. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export const sigV4Service = 'execute-api';
const algorithm = 'AWS4-HMAC-SHA256';
const fiveMinutesMs = 5 * 60 * 1000;
/** Headers whose values change what the request means: when present they must be signed. */
const headersThatMustBeSigned = ['host', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'];

export function sigV4Authenticator(options: SigV4AuthenticatorOptions): Authenticator {
  const verifier = new SigV4Verifier(options);
  return (request: FastifyRequest, rawBody: Buffer) =>
    verifier.verify({ method: request.method, url: request.url, headers: request.headers, body: rawBody });
}

/**
 * Recomputes the signature of a received request with `@smithy/signature-v4` (the signer the AWS SDK
 * uses) from the request's own method, path, query, signed headers, body and X-Amz-Date, and the secret
 * of its access key, then compares in constant time.
 */
export class SigV4Verifier {
  readonly #keys: ReadonlyMap<string, { principalArn: PrincipalArn; signer: SignatureV4 }>;
  readonly #region: string;
  readonly #clock: Clock;
  readonly #maxClockSkewMs: number;

  constructor(options: SigV4AuthenticatorOptions) {
    this.#region = options.region;
    this.#clock = options.clock;
    this.#maxClockSkewMs = options.maxClockSkewMs ?? fiveMinutesMs;
    this.#keys = new Map(
      options.credentials.map(({ accessKeyId, secretAccessKey, principalArn }) => [
        accessKeyId,
        {
          principalArn,
          signer: new SignatureV4({
            service: sigV4Service,
            region: options.region,
            credentials: { accessKeyId, secretAccessKey },
            sha256: Sha256,
            // Never add an x-amz-content-sha256 the caller did not send: the canonical request must be theirs.
            applyChecksum: false,
          }),
        },
      ]),
    );
  }

  /** The principal that signed the request; throws AuthenticationError with a reason otherwise. */
  async verify(request: SignedRequest): Promise<PrincipalArn> {
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization === undefined) throw new AuthenticationError('missing-signature');
    const parsed = parseAuthorization(authorization);
    const amzDate = headerValue(request.headers, 'x-amz-date');
    const signedAt = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (!parsed || !amzDate || !signedAt) throw new AuthenticationError('malformed-signature');

    if (Math.abs(this.#clock().getTime() - signedAt.getTime()) > this.#maxClockSkewMs) {
      throw new AuthenticationError('expired');
    }
    const { scope } = parsed;
    if (
      scope.date !== amzDate.slice(0, 8) ||
      scope.region !== this.#region ||
      scope.service !== sigV4Service ||
      scope.terminator !== 'aws4_request'
    ) {
      throw new AuthenticationError('wrong-scope');
    }
    const mustBeSigned = headersThatMustBeSigned.filter(
      (name) => name === 'host' || name === 'x-amz-date' || request.headers[name] !== undefined,
    );
    if (mustBeSigned.some((name) => !parsed.signedHeaders.includes(name))) {
      throw new AuthenticationError('unsigned-header');
    }
    if (parsed.signedHeaders.some((name) => headerValue(request.headers, name) === undefined)) {
      throw new AuthenticationError('malformed-signature');
    }

    const key = this.#keys.get(scope.accessKeyId);
    if (!key) throw new AuthenticationError('unknown-access-key');

    // The signature covers the hash the caller declared; the declared hash must then be the body's.
    const declaredBodyHash = headerValue(request.headers, 'x-amz-content-sha256');
    if (declaredBodyHash !== undefined && declaredBodyHash !== sha256Hex(request.body)) {
      throw new AuthenticationError('body-hash-mismatch');
    }

    const expected = await this.#expectedSignature(key.signer, request, parsed.signedHeaders, signedAt);
    if (!expected || !timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(parsed.signature, 'hex'))) {
      throw new AuthenticationError('signature-mismatch');
    }
    return key.principalArn;
  }

  async #expectedSignature(
    signer: SignatureV4,
    request: SignedRequest,
    signedHeaders: readonly string[],
    signedAt: Date,
  ): Promise<string | undefined> {
    const target = splitUrl(request.url);
    if (!target) return undefined;
    // Only the headers the caller signed: anything a proxy added or the caller left unsigned stays out.
    const headers = Object.fromEntries(
      signedHeaders.map((name) => [name, headerValue(request.headers, name) as string]),
    );
    const signed = await signer.sign(
      new HttpRequest({
        method: request.method,
        protocol: 'https:',
        hostname: headers.host ?? '',
        path: target.path,
        query: target.query,
        headers,
        body: request.body,
      }),
      { signingDate: signedAt, signableHeaders: new Set(signedHeaders) },
    );
    const recomputed = parseAuthorization(String(signed.headers.authorization));
    // The signer drops headers it never signs (e.g. `date`): then the lists differ and so does the request.
    if (recomputed?.signedHeaders.join(';') !== signedHeaders.join(';')) return undefined;
    return recomputed.signature;
  }
}

interface ParsedAuthorization {
  scope: { accessKeyId: string; date: string; region: string; service: string; terminator: string };
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/execute-api/aws4_request, SignedHeaders=a;b, Signature=hex` */
function parseAuthorization(value: string): ParsedAuthorization | undefined {
  if (!value.startsWith(`${algorithm} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of value.slice(algorithm.length + 1).split(',')) {
    const separator = part.indexOf('=');
    if (separator < 0) return undefined;
    fields.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/');
  const signedHeaders = fields.get('SignedHeaders')?.split(';');
  const signature = fields.get('Signature');
  if (fields.size !== 3 || credential?.length !== 5 || !signedHeaders || !signature) return undefined;
  if (!/^[0-9a-f]{64}$/.test(signature) || signedHeaders.some((name) => !/^[a-z0-9-]+$/.test(name))) {
    return undefined;
  }
  const [accessKeyId, date, region, service, terminator] = credential as [
    string,
    string,
    string,
    string,
    string,
  ];
  return { scope: { accessKeyId, date, region, service, terminator }, signedHeaders, signature };
}

/** `20260101T120000Z`; impossible dates (month 13) do not round-trip and are refused. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const date = new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
  if (Number.isNaN(date.getTime())) return undefined;
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '') === value ? date : undefined;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** Path as received, and the query decoded the way the signer expects it (it re-encodes). */
function splitUrl(url: string): { path: string; query: Record<string, string | string[]> } | undefined {
  const separator = url.indexOf('?');
  const path = separator < 0 ? url : url.slice(0, separator);
  // No prototype: a parameter named `__proto__` must stay a parameter.
  const query: Record<string, string | string[]> = Object.create(null);
  if (separator < 0) return { path, query };
  try {
    for (const pair of url.slice(separator + 1).split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const name = decodeURIComponent(equals < 0 ? pair : pair.slice(0, equals));
      const value = equals < 0 ? '' : decodeURIComponent(pair.slice(equals + 1));
      const previous = query[name];
      query[name] = previous === undefined ? value : [previous, value].flat();
    }
  } catch {
    return undefined; // a malformed percent-encoding cannot have been signed
  }
  return { path, query };
}

function sha256Hex(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

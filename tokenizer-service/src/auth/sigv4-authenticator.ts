// Dev-only: verifies AWS Signature Version 4 where no API Gateway does it (the local stack, docker-compose,
// tests). The Lambda entry must not import this module: on AWS, API Gateway verifies signatures.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '../domain/ports.js';
import { AuthenticationError, type Authenticator } from './authenticator.js';
import type { PrincipalArn } from './permissions.js';
import {
  canonicalRequest,
  normalizedPath,
  type ReceivedHeaders,
  splitTarget,
} from './sigv4-canonical-request.js';

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
  /** Now; tests inject a fixed time to check signatures made at a known date. */
  clock: Clock;
  /** Largest accepted difference between the signing time and now; AWS allows 5 minutes. */
  maxClockSkewMs?: number;
  /** The signing name callers use: `execute-api` (API Gateway's) unless a published test vector names another. */
  service?: string;
}

/** The parts of a received request a signature covers. */
export interface SignedRequest {
  method: string;
  /** Path and query string exactly as received. */
  url: string;
  headers: ReceivedHeaders;
  body: Buffer;
}

export const sigV4Service = 'execute-api';
const algorithm = 'AWS4-HMAC-SHA256';
const fiveMinutesMs = 5 * 60 * 1000;
/** Headers whose values change what the request means: when present they must be signed. */
const headersThatMustBeSigned = ['host', 'x-amz-content-sha256', 'x-amz-security-token'];

export function sigV4Authenticator(options: SigV4AuthenticatorOptions): Authenticator {
  const verifier = new SigV4Verifier(options);
  return (request: FastifyRequest, rawBody: Buffer) => {
    const url = request.raw.url ?? request.url;
    // The signature covers the path with dot segments and repeated slashes resolved, as AWS computes it,
    // but the router matches the path as received: only a path already in normal form means one resource
    // to both.
    const { path } = splitTarget(url);
    if (normalizedPath(path) !== path) throw new AuthenticationError('unnormalized-path');
    return verifier.verify({
      method: request.method,
      url,
      headers: receivedHeaders(request.raw.rawHeaders),
      body: rawBody,
    });
  };
}

/** Each header's values as received: Node's `headers` joins repeated ones with ", ", SigV4 with ",". */
export function receivedHeaders(rawHeaders: readonly string[]): Record<string, string[]> {
  // No prototype: a header named `__proto__` must stay a header.
  const headers: Record<string, string[]> = Object.create(null);
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] as string).toLowerCase();
    const value = rawHeaders[index + 1] as string;
    const values = headers[name];
    if (values) values.push(value);
    else headers[name] = [value];
  }
  return headers;
}

/**
 * Recomputes the signature of a received request the way AWS does (see sigv4-canonical-request.ts) from
 * its method, path, query, signed headers, body and signing time, with the secret of its access key, and
 * compares in constant time.
 */
export class SigV4Verifier {
  readonly #keys: ReadonlyMap<string, { principalArn: PrincipalArn; secretAccessKey: string }>;
  readonly #region: string;
  readonly #service: string;
  readonly #clock: Clock;
  readonly #maxClockSkewMs: number;
  /** Each access key's kSigning for the last date it signed with: four HMACs a day, not per request. */
  readonly #signingKeys = new Map<string, { date: string; key: Buffer }>();

  constructor(options: SigV4AuthenticatorOptions) {
    this.#region = options.region;
    this.#service = options.service ?? sigV4Service;
    this.#clock = options.clock;
    this.#maxClockSkewMs = options.maxClockSkewMs ?? fiveMinutesMs;
    this.#keys = new Map(
      options.credentials.map(({ accessKeyId, secretAccessKey, principalArn }) => [
        accessKeyId,
        { principalArn, secretAccessKey },
      ]),
    );
  }

  /** The principal that signed the request; throws AuthenticationError with a reason otherwise. */
  verify(request: SignedRequest): PrincipalArn {
    const { headers } = request;
    const authorization = singleValue(headers, 'authorization');
    if (authorization === undefined) throw new AuthenticationError('missing-signature');
    const parsed = authorization === null ? undefined : parseAuthorization(authorization);
    const signedAt = signingTime(headers);
    if (!parsed || !signedAt) throw new AuthenticationError('malformed-signature');

    if (Math.abs(this.#clock().getTime() - signedAt.time.getTime()) > this.#maxClockSkewMs) {
      throw new AuthenticationError('expired');
    }
    const { scope, signedHeaders } = parsed;
    if (
      scope.date !== signedAt.amzDate.slice(0, 8) ||
      scope.region !== this.#region ||
      scope.service !== this.#service ||
      scope.terminator !== 'aws4_request'
    ) {
      throw new AuthenticationError('wrong-scope');
    }
    const mustBeSigned = [
      signedAt.header,
      ...headersThatMustBeSigned.filter((name) => name === 'host' || headers[name] !== undefined),
    ];
    if (mustBeSigned.some((name) => !signedHeaders.includes(name))) {
      throw new AuthenticationError('unsigned-header');
    }
    // SigV4 lists the signed headers sorted, each once, and each must have been received.
    const inOrder = signedHeaders.every(
      (name, index) => index === 0 || (signedHeaders[index - 1] as string) < name,
    );
    if (!inOrder || signedHeaders.some((name) => headers[name] === undefined)) {
      throw new AuthenticationError('malformed-signature');
    }

    const key = this.#keys.get(scope.accessKeyId);
    if (!key) throw new AuthenticationError('unknown-access-key');

    // The signature covers the hash the caller declared; the declared hash must then be the body's.
    const payloadHash = sha256Hex(request.body);
    const declaredBodyHash = singleValue(headers, 'x-amz-content-sha256');
    if (declaredBodyHash !== undefined && declaredBodyHash !== payloadHash) {
      throw new AuthenticationError('body-hash-mismatch');
    }

    const canonical = canonicalRequest({
      method: request.method,
      url: request.url,
      headers,
      signedHeaders,
      payloadHash,
    });
    const credentialScope = `${scope.date}/${this.#region}/${this.#service}/aws4_request`;
    const stringToSign = [algorithm, signedAt.amzDate, credentialScope, sha256Hex(canonical)].join('\n');
    const expected = hmac(this.#signingKey(scope.accessKeyId, key.secretAccessKey, scope.date), stringToSign);
    if (!timingSafeEqual(expected, Buffer.from(parsed.signature, 'hex'))) {
      throw new AuthenticationError('signature-mismatch');
    }
    return key.principalArn;
  }

  #signingKey(accessKeyId: string, secretAccessKey: string, date: string): Buffer {
    const cached = this.#signingKeys.get(accessKeyId);
    if (cached?.date === date) return cached.key;
    const key = signingKey(secretAccessKey, date, this.#region, this.#service);
    this.#signingKeys.set(accessKeyId, { date, key });
    return key;
  }
}

/** kSigning = HMAC chain over the date, region, service and `aws4_request`, keyed by "AWS4" + secret. */
function signingKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  return [date, region, service, 'aws4_request'].reduce<Buffer>(
    (key, part) => hmac(key, part),
    Buffer.from(`AWS4${secretAccessKey}`, 'utf8'),
  );
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
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

interface SigningTime {
  /** The header that carries it, which must then be signed. */
  header: 'x-amz-date' | 'date';
  /** `20260101T120000Z`, as the string to sign spells it. */
  amzDate: string;
  time: Date;
}

/** X-Amz-Date, or else Date (SigV4 accepts either); refused when unparsable or sent twice. */
function signingTime(headers: ReceivedHeaders): SigningTime | undefined {
  const amzDate = singleValue(headers, 'x-amz-date');
  if (amzDate !== undefined) {
    const time = amzDate === null ? undefined : parseAmzDate(amzDate);
    return time && amzDate ? { header: 'x-amz-date', amzDate, time } : undefined;
  }
  const date = singleValue(headers, 'date');
  const time = date ? parseHttpDate(date) : undefined;
  return time ? { header: 'date', amzDate: toAmzDate(time), time } : undefined;
}

/** `20260101T120000Z`; impossible dates (month 13) do not round-trip and are refused. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!match) return undefined;
  const date = new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
  if (Number.isNaN(date.getTime())) return undefined;
  return toAmzDate(date) === value ? date : undefined;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `Mon, 09 Sep 2011 23:36:00 GMT` (RFC 9110's IMF-fixdate). The day name is not checked against the
 * date: AWS's own test vector pairs that Monday with a Friday.
 */
function parseHttpDate(value: string): Date | undefined {
  const match =
    /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(
      value,
    );
  const month = months.indexOf(match?.[2] ?? '');
  if (!match || month < 0) return undefined;
  const [day, year, hours, minutes, seconds] = [1, 3, 4, 5, 6].map((group) => Number(match[group]));
  const date = new Date(Date.UTC(year as number, month, day, hours, minutes, seconds));
  const roundTrips =
    date.getUTCDate() === day && date.getUTCHours() === hours && date.getUTCMinutes() === minutes;
  return roundTrips && date.getUTCSeconds() === seconds && date.getUTCMonth() === month ? date : undefined;
}

function toAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]|\.\d{3}/g, '');
}

/** The header's value; null when it was sent more than once, which no header SigV4 reads may be. */
function singleValue(headers: ReceivedHeaders, name: string): string | null | undefined {
  const value = headers[name];
  if (value === undefined || typeof value === 'string') return value;
  return value.length === 1 ? (value[0] as string) : null;
}

// Dev-only: the canonical request of AWS Signature Version 4, computed from a request as it was received,
// the way AWS computes it for every service but S3 (API Gateway's `execute-api` included). Written from
// the SigV4 specification and checked against AWS's published test suite and botocore (the AWS CLI's
// signer), not against the JavaScript SDK whose signatures the tokenizer also has to accept.

/** Header values by lower-case name; a header received several times has one value per occurrence, in order. */
export type ReceivedHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export interface CanonicalRequestInput {
  method: string;
  /** Path and query exactly as received (still percent-encoded). */
  url: string;
  headers: ReceivedHeaders;
  /** Lower-case names, as listed by the caller's SignedHeaders. */
  signedHeaders: readonly string[];
  /** Hex SHA-256 of the body. */
  payloadHash: string;
}

export function canonicalRequest(input: CanonicalRequestInput): string {
  const { path, query } = splitTarget(input.url);
  return [
    input.method,
    canonicalPath(path),
    canonicalQuery(query),
    `${canonicalHeaders(input.headers, input.signedHeaders)}\n`,
    input.signedHeaders.join(';'),
    input.payloadHash,
  ].join('\n');
}

export function splitTarget(url: string): { path: string; query: string } {
  const separator = url.indexOf('?');
  return separator < 0
    ? { path: url, query: '' }
    : { path: url.slice(0, separator), query: url.slice(separator + 1) };
}

/**
 * RFC 3986 dot segments removed and repeated slashes collapsed (a trailing slash stays), then the path
 * as received percent-encoded once more: non-S3 services sign the already-encoded path, so `%20` in the
 * request line is `%2520` here, and `%2F` never turns into a separator.
 */
export function canonicalPath(path: string): string {
  return uriEncode(Buffer.from(normalizedPath(path), 'utf8'), '/');
}

export function normalizedPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return `${leading}${segments.join('/')}${trailing}` || '/';
}

/**
 * Each name and value decoded as a form field is (`+` is a space, `%XX` a byte, a `%` that starts no
 * escape stays a `%`), encoded again with only the unreserved characters left as they are, then sorted
 * by name and, for a repeated name, by value. So `q=a+b` is signed as `q=a%20b`: a literal plus travels
 * as `%2B`.
 */
export function canonicalQuery(query: string): string {
  const pairs: [string, string][] = [];
  for (const parameter of query.split('&')) {
    if (parameter === '') continue;
    const equals = parameter.indexOf('=');
    const name = equals < 0 ? parameter : parameter.slice(0, equals);
    const value = equals < 0 ? '' : parameter.slice(equals + 1);
    pairs.push([uriEncode(formDecode(name)), uriEncode(formDecode(value))]);
  }
  pairs.sort(([nameA, valueA], [nameB, valueB]) => compare(nameA, nameB) || compare(valueA, valueB));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** `name:value` lines in SignedHeaders order; repeated headers joined by commas, inner whitespace collapsed. */
export function canonicalHeaders(headers: ReceivedHeaders, signedHeaders: readonly string[]): string {
  return signedHeaders
    .map((name) => {
      const received = headers[name];
      const values = typeof received === 'string' ? [received] : (received ?? []);
      return `${name}:${values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',')}`;
    })
    .join('\n');
}

function formDecode(text: string): Buffer {
  const bytes: number[] = [];
  const utf8 = Buffer.from(text, 'utf8');
  for (let index = 0; index < utf8.length; index++) {
    const byte = utf8[index] as number;
    const escaped = byte === 0x25 ? hexByte(utf8, index + 1) : undefined;
    if (escaped !== undefined) {
      bytes.push(escaped);
      index += 2;
    } else bytes.push(byte === 0x2b ? 0x20 : byte);
  }
  return Buffer.from(bytes);
}

function hexByte(bytes: Buffer, at: number): number | undefined {
  const hex = bytes.subarray(at, at + 2).toString('latin1');
  return /^[0-9A-Fa-f]{2}$/.test(hex) ? Number.parseInt(hex, 16) : undefined;
}

/** Percent-encodes every byte but the unreserved characters (and those in `keep`), with upper-case hex. */
function uriEncode(bytes: Buffer, keep = ''): string {
  let encoded = '';
  for (const byte of bytes) {
    const character = String.fromCharCode(byte);
    encoded +=
      /^[A-Za-z0-9\-_.~]$/.test(character) || keep.includes(character)
        ? character
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

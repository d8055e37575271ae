// Sends one request to a connection's destination with the guards forwarding needs against server-side
// request forgery: the host is resolved once, every address it resolves to must be allowed (address-guard),
// and the connection is pinned to that address (a custom `lookup`), so a DNS answer that changes between the
// check and the connect cannot reach another address. No redirect is followed (node:http never follows
// one; a 3xx is refused). The answer is read within the connection's time limit and size cap, and anything
// over the cap is dropped while it streams.
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { AddressCheck } from './address-guard.js';

export interface DestinationRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: Buffer;
  timeoutMs: number;
  maxResponseBytes: number;
}

export interface DestinationResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type DestinationFailure =
  /** Not reached, no answer in time, the connection broke: whether it acted is unknown. */
  'unreachable' | 'redirect' | 'too-large' | 'address-refused';

/** Why nothing (or nothing usable) came back. Messages are fixed texts: never a URL, a header or a body. */
export class DestinationError extends Error {
  override readonly name = 'DestinationError';
  constructor(
    readonly failure: DestinationFailure,
    options?: ErrorOptions,
  ) {
    super(`destination ${failure}`, options);
  }
}

/** Every address of a host name (the DNS resolver by default; tests give their own). */
export type ResolveHost = (hostname: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface DestinationClientOptions {
  allowAddress: AddressCheck;
  resolve?: ResolveHost;
}

export type SendToDestination = (request: DestinationRequest) => Promise<DestinationResponse>;

export function destinationClient(options: DestinationClientOptions): SendToDestination {
  const resolve = options.resolve ?? systemResolver;
  return async (request) => {
    const deadline = AbortSignal.timeout(request.timeoutMs);
    const pinned = await resolvedAddress(request.url, resolve, options.allowAddress);
    deadline.throwIfAborted();
    return send(request, pinned, deadline);
  };
}

/** The one address the request goes to: the host's first, once every address it has is allowed. */
async function resolvedAddress(
  url: URL,
  resolve: ResolveHost,
  allowAddress: AddressCheck,
): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      throw new DestinationError('unreachable', { cause: error });
    }
  }
  // All of them: a name answering one public and one private address would otherwise be a coin toss.
  const [first] = addresses;
  if (!first || !addresses.every(({ address }) => allowAddress(address))) {
    throw new DestinationError('address-refused');
  }
  return first;
}

function send(
  request: DestinationRequest,
  pinned: { address: string; family: number },
  deadline: AbortSignal,
): Promise<DestinationResponse> {
  const { url } = request;
  // The connection goes to the checked address whatever the name resolves to now; TLS still verifies the
  // certificate against the host name (https.request uses `hostname` as the server name).
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const requestOf = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<DestinationResponse>((resolve, reject) => {
    const fail = (error: DestinationError) => {
      outgoing.destroy();
      reject(error);
    };
    const outgoing = requestOf(
      {
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: {
          ...request.headers,
          ...(request.body ? { 'content-length': String(request.body.length) } : {}),
        },
        lookup,
        // A connection of its own: a pooled one could have been made to an address checked for another.
        agent: false,
        signal: deadline,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) return fail(new DestinationError('redirect'));
        const declared = Number(response.headers['content-length']);
        if (declared > request.maxResponseBytes) return fail(new DestinationError('too-large'));
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > request.maxResponseBytes) return fail(new DestinationError('too-large'));
          chunks.push(chunk);
        });
        response.on('end', () => resolve({ status, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', (error) => reject(new DestinationError('unreachable', { cause: error })));
      },
    );
    outgoing.on('error', (error) => reject(new DestinationError('unreachable', { cause: error })));
    outgoing.end(request.body);
  });
}

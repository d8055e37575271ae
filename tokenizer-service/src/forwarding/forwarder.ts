// Forward: the caller's request, with the values of its tokens put in at the connection's declared
// pointers, sent to the connection's destination, and the destination's answer scrubbed before it goes
// back. Tokens follow the rules of a full detokenize (tenant, expiry, uses); the values exist only in this
// function's memory between the vault and the socket.
import { containsCardNumber } from '@tokenization/service-kit/card';
import { IntegrityError } from '../domain/errors.js';
import type { TokenVault } from '../domain/vault.js';
import { isWellFormedToken, tokenOrPlaceholder } from '../domain/well-formed-token.js';
import type { Connection, Connections, ForwardMethod } from './connections.js';
import { DestinationError, type DestinationResponse, type SendToDestination } from './destination-client.js';
import {
  ConnectionNotFoundError,
  DestinationAnswerRefusedError,
  DestinationFailedError,
  DestinationRefusedError,
  ForwardHeaderNotAllowedError,
  ForwardRouteNotAllowedError,
  TokenAtUndeclaredPointerError,
  TokenUnusableError,
  type UnusableTokenCode,
} from './errors.js';
import { leaves, parsePointer, valueAt, withValuesAt } from './json-pointer.js';
import { scrubJson, scrubText } from './scrub.js';
import type { SecretStore } from './secrets.js';

export interface ForwardInput {
  method: ForwardMethod;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface ForwardOutcome {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the audit trail records of a forward, as it becomes known: never a value. */
export interface ForwardFacts {
  connection: string;
  tokens?: string[];
  destinationStatus?: number;
}

export interface ForwarderOptions {
  connections: Connections;
  vault: Pick<TokenVault, 'detokenize'>;
  send: SendToDestination;
  secrets: SecretStore;
}

const pathSegment = /^[A-Za-z0-9._~-]+$/;
const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json$/;

export class Forwarder {
  readonly #options: ForwarderOptions;

  constructor(options: ForwarderOptions) {
    this.#options = options;
  }

  async forward(
    tenant: string,
    connectionName: string,
    input: ForwardInput,
    note: (facts: ForwardFacts) => void,
  ): Promise<ForwardOutcome> {
    const connection = this.#options.connections.get(connectionName);
    if (!connection) throw new ConnectionNotFoundError();
    note({ connection: connection.name });
    checkRoute(connection, input);
    const callerHeaders = checkedCallerHeaders(connection, input.headers ?? {});
    const tokens = tokensAtDeclaredPointers(connection, input.body);
    note({
      connection: connection.name,
      tokens: [...new Set(tokens.map(({ token }) => tokenOrPlaceholder(token)))],
    });
    const body = await this.#bodyWithValues(tenant, input.body, tokens);
    const response = await this.#send(connection, input, callerHeaders, body);
    note({
      connection: connection.name,
      tokens: [...new Set(tokens.map(({ token }) => tokenOrPlaceholder(token)))],
      destinationStatus: response.status,
    });
    return answerOf(connection, response);
  }

  /** The body to send: each token replaced by its value, or TokenUnusableError naming every bad one. */
  async #bodyWithValues(
    tenant: string,
    body: unknown,
    tokens: readonly { pointer: string; token: string }[],
  ): Promise<Buffer | undefined> {
    if (body === undefined) return undefined;
    const unusable: { field: string; code: UnusableTokenCode }[] = [];
    const wellFormed = [...new Set(tokens.map(({ token }) => token).filter(isWellFormedToken))];
    const outcomes = wellFormed.length > 0 ? await this.#options.vault.detokenize(tenant, wellFormed) : [];
    const values = new Map<string, string>();
    const codes = new Map<string, string>();
    for (const outcome of outcomes) {
      if ('value' in outcome) values.set(outcome.token, outcome.value);
      else if (outcome.error.code === 'integrity_error') throw new IntegrityError();
      else codes.set(outcome.token, outcome.error.code);
    }
    const replacements = new Map<string, unknown>();
    for (const { pointer, token } of tokens) {
      const value = values.get(token);
      if (value !== undefined) replacements.set(pointer, value);
      else unusable.push({ field: pointer, code: unusableCode(codes.get(token)) });
    }
    if (unusable.length > 0) throw new TokenUnusableError(unusable);
    return Buffer.from(JSON.stringify(withValuesAt(body, replacements)), 'utf8');
  }

  async #send(
    connection: Connection,
    input: ForwardInput,
    callerHeaders: Record<string, string>,
    body: Buffer | undefined,
  ): Promise<DestinationResponse> {
    const headers: Record<string, string> = { ...callerHeaders, accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    for (const header of connection.headers) {
      headers[header.name] = header.format.replace(
        '{secret}',
        await this.#options.secrets.get(header.secret),
      );
    }
    const url = new URL(connection.baseUrl);
    url.pathname = `${connection.baseUrl.pathname.replace(/\/+$/, '')}${input.path}`;
    try {
      return await this.#options.send({
        url,
        method: input.method,
        headers,
        ...(body ? { body } : {}),
        timeoutMs: connection.timeoutMs,
        maxResponseBytes: connection.maxResponseBytes,
      });
    } catch (error) {
      if (!(error instanceof DestinationError)) throw error;
      if (error.failure === 'unreachable') throw new DestinationFailedError({ cause: error });
      throw new DestinationAnswerRefusedError(error.failure, { cause: error });
    }
  }
}

/** The method and path must match one route; the path's segments are plain (no `..`, `%`, `?`). */
function checkRoute(connection: Connection, { method, path }: ForwardInput): void {
  const segments = path.slice(1).split('/');
  const plain =
    path.startsWith('/') && segments.every((segment) => pathSegment.test(segment) && !/^\.+$/.test(segment));
  const matches = (route: Connection['routes'][number]) =>
    route.segments.length === segments.length &&
    route.segments.every((expected, index) => expected === undefined || expected === segments[index]);
  const routes = plain ? connection.routes.filter(matches) : [];
  if (routes.length === 0) throw new ForwardRouteNotAllowedError('path');
  if (!routes.some((route) => route.method === method)) throw new ForwardRouteNotAllowedError('method');
}

/** The caller's headers, lower-cased, when the connection lets callers pass every one of them. */
function checkedCallerHeaders(
  connection: Connection,
  headers: Record<string, string>,
): Record<string, string> {
  const checked: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!connection.requestHeaders.has(lower) || Object.hasOwn(checked, lower)) {
      throw new ForwardHeaderNotAllowedError();
    }
    checked[lower] = value;
  }
  return checked;
}

/**
 * The text at each declared pointer that holds one (a token, or something sent where a token belongs),
 * once every other leaf of the body is checked: a token or card number elsewhere would be sent as it is,
 * never revealed, so it is a caller's mistake, refused naming the field.
 */
function tokensAtDeclaredPointers(
  connection: Connection,
  body: unknown,
): { pointer: string; token: string }[] {
  const declared = new Set(connection.tokenPointers);
  const misplaced: string[] = [];
  for (const [pointer, leaf] of leaves(body)) {
    if (declared.has(pointer)) continue;
    const text = typeof leaf === 'string' || typeof leaf === 'number' ? String(leaf) : '';
    if (isWellFormedToken(text) || containsCardNumber(text)) misplaced.push(safeField(pointer));
  }
  for (const pointer of keyPointers(body)) misplaced.push(safeField(pointer));
  if (misplaced.length > 0) throw new TokenAtUndeclaredPointerError([...new Set(misplaced)]);
  const found: { pointer: string; token: string }[] = [];
  for (const pointer of connection.tokenPointers) {
    const value = valueAt(body, pointer);
    if (value === undefined) continue;
    // A value that is not text is no token: answered like a token that does not exist, never echoed.
    found.push({ pointer, token: typeof value === 'string' ? value : '' });
  }
  return found;
}

/** Pointers of the objects whose property names hold a card number (a name is never a token's place). */
function* keyPointers(value: unknown, at = ''): Generator<string> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* keyPointers(item, `${at}/${index}`);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (containsCardNumber(key)) yield at;
      else yield* keyPointers(item, `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    }
  }
}

/** A pointer is named in answers only up to its first segment that could hold a card number. */
function safeField(pointer: string): string {
  const kept: string[] = [];
  for (const token of parsePointer(pointer)) {
    if (containsCardNumber(token) || isWellFormedToken(token)) break;
    kept.push(token.replace(/~/g, '~0').replace(/\//g, '~1'));
  }
  return kept.map((token) => `/${token}`).join('');
}

function unusableCode(code: string | undefined): UnusableTokenCode {
  return code === 'expired' || code === 'exhausted' ? code : 'not_found';
}

/** The caller's answer: a 2xx relayed, a 4xx refused, anything else failed. */
function answerOf(connection: Connection, response: DestinationResponse): ForwardOutcome {
  const { status } = response;
  if (status >= 500 || status < 200) throw new DestinationFailedError();
  const contentType = headerText(response.headers['content-type']);
  const json = jsonMediaType.test(contentType.split(';')[0]?.trim().toLowerCase() ?? '');
  let body: unknown;
  if (response.body.length > 0) {
    if (!json) {
      if (status >= 400) throw new DestinationRefusedError(status, undefined);
      throw new DestinationAnswerRefusedError('not-json');
    }
    try {
      body = scrubJson(JSON.parse(response.body.toString('utf8')));
    } catch (error) {
      // No cause kept: a SyntaxError quotes the text, which may hold a card number.
      if (status >= 400) throw new DestinationRefusedError(status, undefined);
      throw error instanceof SyntaxError ? new DestinationAnswerRefusedError('not-json') : error;
    }
  }
  if (status >= 400) throw new DestinationRefusedError(status, body);
  const headers: Record<string, string> = {};
  if (contentType) headers['content-type'] = scrubText(contentType);
  for (const name of connection.responseHeaders) {
    const value = response.headers[name];
    if (value !== undefined) headers[name] = scrubText(headerText(value));
  }
  return { status, headers, ...(body !== undefined ? { body } : {}) };
}

function headerText(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

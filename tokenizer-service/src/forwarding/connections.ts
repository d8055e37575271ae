// The forwarding connections: read from CONNECTIONS_FILE at start-up, validated against
// connections.schema.json and the rules a schema cannot state (https only, headers that may not be
// passed, secrets that can be read), so a bad file stops the service instead of failing a payment later.
import { readFileSync } from 'node:fs';
import connectionsSchema from '../../connections.schema.json' with { type: 'json' };
import { jsonSchemaCheck } from '../auth/json-validation.js';
import type { SecretReference, SecretStore } from './secrets.js';

export type ForwardMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One allowed route: its method, and its template's segments (`undefined` stands for a `{name}`). */
export interface ConnectionRoute {
  method: ForwardMethod;
  segments: readonly (string | undefined)[];
}

export interface ConnectionHeader {
  name: string;
  secret: SecretReference;
  /** Where the secret goes: `Bearer {secret}`; default the secret alone. */
  format: string;
}

export interface Connection {
  name: string;
  baseUrl: URL;
  routes: readonly ConnectionRoute[];
  tokenPointers: readonly string[];
  requestHeaders: ReadonlySet<string>;
  responseHeaders: ReadonlySet<string>;
  headers: readonly ConnectionHeader[];
  timeoutMs: number;
  maxResponseBytes: number;
}

/** The connections file as connections.schema.json describes it. */
export interface ConnectionsDocument {
  connections: {
    name: string;
    description?: string;
    baseUrl: string;
    routes: { method: ForwardMethod; pathTemplate: string }[];
    tokenPointers: string[];
    requestHeaders?: string[];
    responseHeaders?: string[];
    headers?: Record<string, { secret: string; format?: string }>;
    timeoutMs?: number;
    maxResponseBytes?: number;
  }[];
}

/** The connections are missing, unreadable or invalid: the service must not start. */
export class ConnectionsError extends Error {
  override readonly name = 'ConnectionsError';
}

export interface ConnectionsOptions {
  /** Local stack only: http:// base URLs on a loopback host are allowed. */
  allowLoopback: boolean;
  /** Base URLs that replace the file's, by connection name (CONNECTION_<NAME>_BASE_URL). */
  baseUrlOverrides?: Readonly<Record<string, string>>;
  secrets: SecretStore;
}

// Headers the tokenizer sets itself, or that would change how the request is framed or routed.
const reservedHeaders = new Set([
  'host',
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'expect',
]);
const loopbackHosts = new Set(['127.0.0.1', '[::1]', 'localhost']);
const checkDocument = jsonSchemaCheck(connectionsSchema);

export class Connections {
  readonly #byName: ReadonlyMap<string, Connection>;

  private constructor(byName: ReadonlyMap<string, Connection>) {
    this.#byName = byName;
  }

  static none(): Connections {
    return new Connections(new Map());
  }

  /** Reads and validates the file; throws ConnectionsError naming the file and the problem. */
  static fromFile(
    file: string,
    options: Omit<ConnectionsOptions, 'secrets'> & { secrets: SecretStore },
  ): Connections {
    let document: unknown;
    try {
      document = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConnectionsError(`CONNECTIONS_FILE ${file} cannot be read as JSON`, { cause: error });
    }
    return Connections.fromDocument(document, `CONNECTIONS_FILE ${file}`, options);
  }

  static fromDocument(document: unknown, source: string, options: ConnectionsOptions): Connections {
    const problems = checkDocument(document);
    if (problems.length > 0)
      throw new ConnectionsError(`Invalid connections (${source}): ${problems.join('; ')}`);
    const byName = new Map<string, Connection>();
    for (const entry of (document as ConnectionsDocument).connections) {
      const where = `${source}: connection ${entry.name}`;
      if (byName.has(entry.name)) throw new ConnectionsError(`${where} is listed twice`);
      byName.set(entry.name, connectionOf(entry, where, options));
    }
    for (const name of Object.keys(options.baseUrlOverrides ?? {})) {
      if (!byName.has(name))
        throw new ConnectionsError(`${source}: a base URL is set for ${name}, which is not a connection`);
    }
    return new Connections(byName);
  }

  get(name: string): Connection | undefined {
    return this.#byName.get(name);
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }
}

/** The environment variable that replaces a connection's base URL: `payments` → CONNECTION_PAYMENTS_BASE_URL. */
export function baseUrlVariable(name: string): string {
  return `CONNECTION_${name.toUpperCase().replace(/-/g, '_')}_BASE_URL`;
}

function connectionOf(
  entry: ConnectionsDocument['connections'][number],
  where: string,
  options: ConnectionsOptions,
): Connection {
  const baseUrl = checkedBaseUrl(options.baseUrlOverrides?.[entry.name] ?? entry.baseUrl, where, options);
  const headers = Object.entries(entry.headers ?? {}).map(([name, { secret, format }]) => {
    if (reservedHeaders.has(name)) throw new ConnectionsError(`${where}: the header ${name} cannot be set`);
    options.secrets.prepare(secret, `${where}, header ${name}`);
    return { name, secret, format: format ?? '{secret}' };
  });
  const requestHeaders = new Set(entry.requestHeaders ?? []);
  for (const name of requestHeaders) {
    if (reservedHeaders.has(name) || headers.some((header) => header.name === name)) {
      throw new ConnectionsError(`${where}: callers cannot be allowed to pass the header ${name}`);
    }
  }
  return {
    name: entry.name,
    baseUrl,
    routes: entry.routes.map(({ method, pathTemplate }) => ({
      method,
      segments: pathTemplate
        .slice(1)
        .split('/')
        .map((segment) => (segment.startsWith('{') ? undefined : segment)),
    })),
    tokenPointers: entry.tokenPointers,
    requestHeaders,
    responseHeaders: new Set(entry.responseHeaders ?? []),
    headers,
    timeoutMs: entry.timeoutMs ?? 5_000,
    maxResponseBytes: entry.maxResponseBytes ?? 65_536,
  };
}

function checkedBaseUrl(text: string, where: string, options: ConnectionsOptions): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConnectionsError(`${where}: the base URL is not a URL`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConnectionsError(`${where}: the base URL takes no user info, query or fragment`);
  }
  if (url.protocol === 'http:') {
    if (!(options.allowLoopback && loopbackHosts.has(url.hostname))) {
      throw new ConnectionsError(
        `${where}: the base URL must be https (http only for a loopback host with ALLOW_LOOPBACK_DESTINATIONS=true)`,
      );
    }
  } else if (url.protocol !== 'https:') {
    throw new ConnectionsError(`${where}: the base URL must be https`);
  }
  return url;
}

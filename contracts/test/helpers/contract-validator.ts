// An independent check of requests and responses against an OpenAPI 3.1 contract: its own Ajv (JSON
// Schema 2020-12, formats checked), compiled from the dereferenced document, never the services' route
// schemas. A response conforms when its status is documented for the operation, its Content-Type is a
// documented media type, its documented headers are present (when required) and valid, and its body
// matches the schema. Properties a schema leaves open (e.g. Problem) must still be declared by it.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import {
  type JsonSchema,
  type OpenApiDocument,
  type OperationRoute,
  operationRoutes,
} from '../../src/operations.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module object as TypeScript sees it.
const addFormats = addFormatsPlugin as unknown as typeof addFormatsPlugin.default;

interface HeaderObject {
  required?: boolean;
  schema?: JsonSchema;
}

interface ResponseObject {
  description?: string;
  headers?: Record<string, HeaderObject>;
  content?: Record<string, { schema?: JsonSchema }>;
}

interface OperationObject {
  operationId: string;
  responses: Record<string, ResponseObject>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  security?: Record<string, unknown>[];
}

interface SecurityScheme {
  type: string;
  in?: string;
  name?: string;
}

type HeaderValue = string | string[] | number | undefined;

/** A response as either test transport gives it: `inject`'s headers object or fetch's `Headers`. */
export interface ActualResponse {
  status: number;
  headers: Headers | Record<string, HeaderValue>;
  /** The body as received (empty for none). */
  body: string;
}

/** A request as a server received it. */
export interface ActualRequest {
  method: string;
  /** The path after the server's base path, with its query string if any. */
  url: string;
  headers: Record<string, HeaderValue>;
  body: string;
}

export interface RouteMatch {
  route: OperationRoute;
  params: Record<string, string>;
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json$/;

/** The media type of a Content-Type header: lower-cased, without parameters. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
}

export class ContractValidator {
  readonly routes: readonly OperationRoute[];
  readonly #document: OpenApiDocument;
  readonly #ajv: Ajv2020;
  readonly #compiled = new WeakMap<object, ValidateFunction>();

  constructor(
    /** For messages: `tokenizer`, `order`. */
    readonly name: string,
    document: OpenApiDocument,
  ) {
    this.#document = document;
    this.routes = operationRoutes(document);
    this.#ajv = new Ajv2020({ strict: true, allErrors: true, validateFormats: true });
    addFormats(this.#ajv);
  }

  route(operationId: string): OperationRoute {
    const route = this.routes.find((candidate) => candidate.operationId === operationId);
    if (!route) throw new Error(`${this.name}: no operation ${operationId}`);
    return route;
  }

  /** Every documented status of every operation, as `operationId status`. */
  documentedStatuses(): string[] {
    return this.routes.flatMap((route) =>
      route.statusCodes.map((status) => `${route.operationId} ${status}`),
    );
  }

  /** The schema of a documented response's body, for the given media type (default: the only one). */
  responseSchema(operationId: string, status: string, mediaType?: string): JsonSchema {
    const content = this.#responseObject(operationId, status)?.content ?? {};
    const type = mediaType ?? Object.keys(content)[0];
    const schema = type === undefined ? undefined : content[type]?.schema;
    if (!schema) throw new Error(`${this.name}: ${operationId} ${status} documents no body`);
    return schema;
  }

  /** The documented response object of a status (exact, `4XX`-style range, or `default`). */
  responseObject(operationId: string, status: string): ResponseObject | undefined {
    return this.#responseObject(operationId, status);
  }

  /** The request body schema of an operation (application/json), or undefined when it takes none. */
  requestSchema(operationId: string): JsonSchema | undefined {
    return this.route(operationId).schema.body;
  }

  /** Validates any value against a schema of this document; the messages, empty when valid. */
  schemaProblems(schema: JsonSchema, value: unknown, at = ''): string[] {
    const validate = this.#validator(schema);
    if (validate(value)) return undeclaredProperties(schema, value, at, (sub, v) => this.#validator(sub)(v));
    return formatErrors(validate.errors, at);
  }

  /** The contract's verdict on one response of an operation: every way it departs from the contract. */
  responseProblems(operationId: string, response: ActualResponse): string[] {
    const status = String(response.status);
    const documented = this.#responseObject(operationId, status);
    if (!documented) {
      return [
        `${operationId}: status ${status} is not documented (documented: ${this.route(operationId).statusCodes.join(', ')})`,
      ];
    }
    const problems: string[] = [];
    for (const [name, header] of Object.entries(documented.headers ?? {})) {
      const value = headerOf(response.headers, name);
      if (value === undefined) {
        if (header.required) problems.push(`${operationId} ${status}: header ${name} is missing`);
        continue;
      }
      if (header.schema) {
        const typed = headerValue(value, header.schema);
        for (const problem of this.schemaProblems(header.schema, typed)) {
          problems.push(`${operationId} ${status}: header ${name}=${JSON.stringify(value)} ${problem}`);
        }
      }
    }
    const content = documented.content;
    if (!content) {
      if (response.body.length > 0) problems.push(`${operationId} ${status}: documents no body, got one`);
      return problems;
    }
    const mediaType = mediaTypeOf(headerOf(response.headers, 'content-type'));
    const media = mediaType === undefined ? undefined : content[mediaType];
    if (!media || mediaType === undefined) {
      problems.push(
        `${operationId} ${status}: Content-Type ${mediaType ?? '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`,
      );
      return problems;
    }
    if (!jsonMediaType.test(mediaType) || !media.schema) return problems;
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      problems.push(`${operationId} ${status}: the ${mediaType} body is not JSON`);
      return problems;
    }
    for (const problem of this.schemaProblems(media.schema, body)) {
      problems.push(`${operationId} ${status} body: ${problem}`);
    }
    // RFC 9457 §3.1.2: the `status` member, when present, is the response's status code.
    const problemStatus = (body as { status?: unknown } | null)?.status;
    if (mediaType === 'application/problem+json' && problemStatus !== undefined) {
      if (problemStatus !== response.status) {
        problems.push(`${operationId} ${status} body: /status is ${String(problemStatus)}`);
      }
    }
    return problems;
  }

  /** The operation a method and path (without query) address, with the path parameters decoded. */
  matchRequest(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const names: string[] = [];
      const source = route.path
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/\\?\{([^}]+)\\?\}/g, (_, name) => {
          names.push(name);
          return '([^/]+)';
        });
      const match = new RegExp(`^${source}$`).exec(path);
      if (!match) continue;
      const params: Record<string, string> = {};
      for (const [index, name] of names.entries()) {
        const raw = match[index + 1] ?? '';
        try {
          params[name] = decodeURIComponent(raw);
        } catch {
          params[name] = raw;
        }
      }
      return { route, params };
    }
    return undefined;
  }

  /** The contract's verdict on one request a client sent: every way it departs from the contract. */
  requestProblems(request: ActualRequest): { match?: RouteMatch; problems: string[] } {
    const [path = '', query = ''] = request.url.split('?', 2);
    const match = this.matchRequest(request.method, path);
    if (!match) return { problems: [`${request.method} ${path} is no operation of the ${this.name} API`] };
    const { route, params } = match;
    const operation = this.#operation(route.operationId);
    const problems: string[] = [];
    if (route.schema.params) {
      for (const problem of this.schemaProblems(route.schema.params, params, '/params'))
        problems.push(problem);
    }
    if (query !== '' && !route.schema.querystring) problems.push(`query string ${query} is not documented`);
    const security = operation.security ?? (this.#document.security as Record<string, unknown>[] | undefined);
    for (const header of this.#securityHeaders(security ?? [])) {
      if (headerOf(request.headers, header) === undefined) problems.push(`the ${header} header is missing`);
    }
    const requestBody = operation.requestBody;
    if (!requestBody) {
      if (request.body.length > 0) problems.push('the operation takes no body, got one');
      return { match, problems };
    }
    if (request.body.length === 0) {
      if (requestBody.required) problems.push('the required body is missing');
      return { match, problems };
    }
    const mediaType = mediaTypeOf(headerOf(request.headers, 'content-type'));
    const media = mediaType === undefined ? undefined : requestBody.content[mediaType];
    if (!media) {
      problems.push(`Content-Type ${mediaType ?? '(none)'} is not documented for the request body`);
      return { match, problems };
    }
    if (media.schema && mediaType !== undefined && jsonMediaType.test(mediaType)) {
      let body: unknown;
      try {
        body = JSON.parse(request.body);
      } catch {
        problems.push('the body is not JSON');
        return { match, problems };
      }
      for (const problem of this.schemaProblems(media.schema, body, '/body')) problems.push(problem);
    }
    return { match, problems };
  }

  #securityHeaders(security: Record<string, unknown>[]): string[] {
    // An empty requirement ({}) makes the operation public.
    if (security.length === 0 || security.some((requirement) => Object.keys(requirement).length === 0)) {
      return [];
    }
    const schemes = ((this.#document.components as { securitySchemes?: Record<string, SecurityScheme> })
      ?.securitySchemes ?? {}) as Record<string, SecurityScheme>;
    const names = new Set<string>();
    // Any one requirement satisfies; the specs here have one each, so all of the first one's headers.
    for (const schemeName of Object.keys(security[0] ?? {})) {
      const scheme = schemes[schemeName];
      if (scheme?.type === 'apiKey' && scheme.in === 'header' && scheme.name) names.add(scheme.name);
    }
    return [...names];
  }

  #operation(operationId: string): OperationObject {
    const route = this.route(operationId);
    const item = this.#document.paths[route.path] as Record<string, OperationObject>;
    return item[route.method.toLowerCase()] as OperationObject;
  }

  #responseObject(operationId: string, status: string): ResponseObject | undefined {
    const responses = this.#operation(operationId).responses;
    return responses[status] ?? responses[`${status[0]}XX`] ?? responses.default;
  }

  #validator(schema: JsonSchema): ValidateFunction {
    let validate = this.#compiled.get(schema);
    if (!validate) {
      validate = this.#ajv.compile(schema);
      this.#compiled.set(schema, validate);
    }
    return validate;
  }
}

function formatErrors(errors: ErrorObject[] | null | undefined, at: string): string[] {
  return (errors ?? []).map((error) => {
    const extra =
      error.keyword === 'additionalProperties'
        ? ` (${String(error.params.additionalProperty)})`
        : error.keyword === 'enum'
          ? ` (${JSON.stringify(error.params.allowedValues)})`
          : '';
    return `${at}${error.instancePath || '/'} ${error.message ?? error.keyword}${extra}`;
  });
}

/**
 * Properties of `value` that its schema does not declare, where the schema leaves them open (no
 * `additionalProperties: false`): an undocumented field is a contract break even there. `value` is
 * already valid against `schema`; `validates` picks the branch of a oneOf/anyOf the value follows.
 */
export function undeclaredProperties(
  schema: JsonSchema,
  value: unknown,
  at: string,
  validates: (schema: JsonSchema, value: unknown) => boolean,
): string[] {
  if ('$ref' in schema) throw new Error(`${at}: schemas must be dereferenced ($ref found)`);
  const problems: string[] = [];
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const branches = schema[keyword] as JsonSchema[] | undefined;
    const branch = branches?.find((candidate) => validates(candidate, value));
    if (branch) problems.push(...undeclaredProperties(branch, value, at, validates));
  }
  for (const branch of (schema.allOf as JsonSchema[] | undefined) ?? []) {
    problems.push(...undeclaredProperties(branch, value, at, validates));
  }
  if (Array.isArray(value)) {
    const items = schema.items as JsonSchema | undefined;
    const prefix = (schema.prefixItems as JsonSchema[] | undefined) ?? [];
    value.forEach((element, index) => {
      const itemSchema = prefix[index] ?? items;
      if (itemSchema)
        problems.push(...undeclaredProperties(itemSchema, element, `${at}/${index}`, validates));
    });
    return problems;
  }
  if (typeof value !== 'object' || value === null) return problems;
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const patterns = Object.entries((schema.patternProperties as Record<string, JsonSchema> | undefined) ?? {});
  const additional = schema.additionalProperties as JsonSchema | boolean | undefined;
  const describesObject = schema.type === 'object' || 'properties' in schema || additional !== undefined;
  for (const [key, element] of Object.entries(value)) {
    const pointer = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const own = Object.hasOwn(properties, key) ? properties[key] : undefined;
    const byPattern = patterns.find(([pattern]) => new RegExp(pattern, 'u').test(key))?.[1];
    const elementSchema = own ?? byPattern ?? (typeof additional === 'object' ? additional : undefined);
    if (elementSchema) {
      problems.push(...undeclaredProperties(elementSchema, element, pointer, validates));
    } else if (describesObject && additional !== false && additional !== true) {
      // additionalProperties: false would have failed validation already; open schemas end up here. One
      // that says `additionalProperties: true` is open on purpose (a forwarded body: the destination's JSON).
      problems.push(`${pointer} is not declared by the schema`);
    }
  }
  return problems;
}

function headerOf(headers: ActualResponse['headers'], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const lower = name.toLowerCase();
  const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === lower)?.[1];
  if (entry === undefined) return undefined;
  return Array.isArray(entry) ? entry.join(', ') : String(entry);
}

/** A header's text as the JSON value its schema describes (`Retry-After: 7` is the integer 7). */
function headerValue(text: string, schema: JsonSchema): unknown {
  const type = schema.type;
  if ((type === 'integer' || type === 'number') && /^-?\d+(?:\.\d+)?$/.test(text.trim())) {
    return Number(text.trim());
  }
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

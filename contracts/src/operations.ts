// Turns a dereferenced OpenAPI document into route definitions (method, Fastify URL, JSON Schemas),
// so each service validates requests from its contract rather than from hand-copied schemas. The services
// register the route tables generated from them (generated/<name>-routes.ts, contractRoutes): the
// document itself, with its descriptions and examples, is not loaded at run time.

export type JsonSchema = Record<string, unknown>;

interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: JsonSchema;
  [key: string]: unknown;
}

interface OperationObject {
  operationId: string;
  parameters?: ParameterObject[];
  requestBody?: { required?: boolean; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
  security?: unknown[];
  [key: string]: unknown;
}

type PathItem = { parameters?: ParameterObject[] } & Partial<Record<HttpMethod, OperationObject>>;

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, PathItem>;
  [key: string]: unknown;
}

const httpMethods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
type HttpMethod = (typeof httpMethods)[number];

export interface OperationRoute {
  operationId: string;
  method: Uppercase<HttpMethod>;
  /** The path in Fastify's syntax: `/v1/tokens/:token`. */
  url: string;
  /** The path as the contract writes it: `/v1/tokens/{token}`. */
  path: string;
  /** The status codes the contract documents for this operation. */
  statusCodes: string[];
  schema: { body?: JsonSchema; params?: JsonSchema; querystring?: JsonSchema; headers?: JsonSchema };
}

export function operationRoutes(document: OpenApiDocument): OperationRoute[] {
  const routes: OperationRoute[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of httpMethods) {
      const operation = item[method];
      if (!operation) continue;
      const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])];
      routes.push({
        operationId: operation.operationId,
        method: method.toUpperCase() as Uppercase<HttpMethod>,
        url: path.replace(/\{([^}]+)\}/g, ':$1'),
        path,
        statusCodes: Object.keys(operation.responses),
        schema: {
          ...(operation.requestBody ? { body: jsonBodySchema(operation) } : {}),
          ...parameterSchemas(parameters),
        },
      });
    }
  }
  return routes;
}

function jsonBodySchema(operation: OperationObject): JsonSchema {
  const json = operation.requestBody?.content['application/json'];
  if (!json) throw new Error(`${operation.operationId}: only application/json request bodies are supported`);
  return json.schema;
}

const schemaKeyByLocation = { path: 'params', query: 'querystring', header: 'headers' } as const;

function parameterSchemas(parameters: ParameterObject[]): OperationRoute['schema'] {
  const schemas: OperationRoute['schema'] = {};
  for (const parameter of parameters) {
    if (parameter.in === 'cookie') throw new Error(`cookie parameter ${parameter.name} is not supported`);
    const key = schemaKeyByLocation[parameter.in];
    schemas[key] ??= { type: 'object', properties: {}, required: [] };
    const schema = schemas[key];
    // Header names are case-insensitive; Fastify matches them lower-cased.
    const name = parameter.in === 'header' ? parameter.name.toLowerCase() : parameter.name;
    (schema.properties as Record<string, JsonSchema>)[name] = parameter.schema;
    if (parameter.required || parameter.in === 'path') (schema.required as string[]).push(name);
  }
  return schemas;
}

/** A route as the services register it (generated/<name>-routes.ts): what the first request needs, no more. */
export interface ContractRoute extends OperationRoute {
  /** Whether the contract requires a security scheme for the operation (see requiresSecurity). */
  secured: boolean;
}

/**
 * The route table a service registers: `operationRoutes` with the schemas' annotations left out (they say
 * what a value means, not whether it is valid) and each operation's security requirement resolved. Written
 * at generation time (contracts/scripts/generate.ts), so a cold start loads a few kilobytes of routes
 * instead of the whole document.
 */
export function contractRoutes(document: OpenApiDocument): ContractRoute[] {
  return operationRoutes(document).map((route) => ({
    ...route,
    schema: withoutAnnotations(route.schema) as OperationRoute['schema'],
    secured: requiresSecurity(document, route),
  }));
}

/** An operation's own `security` overrides the document's; `[]` (or `[{}]`) means public. */
export function requiresSecurity(document: OpenApiDocument, route: OperationRoute): boolean {
  const operation = document.paths[route.path]?.[route.method.toLowerCase() as HttpMethod];
  const security = (operation?.security ?? document.security ?? []) as Record<string, unknown>[];
  return security.length > 0 && security.every((requirement) => Object.keys(requirement).length > 0);
}

// Keywords that say what a value means, not whether it is valid: validation does not need them.
const annotations = new Set(['description', 'examples', 'example', 'title', '$comment']);
// Keywords whose value maps names (not keywords) to schemas, and keywords whose value is data.
const schemaMaps = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);
const dataValues = new Set(['enum', 'const', 'default']);

/** A copy of a JSON Schema without annotation keywords, at any depth. */
export function withoutAnnotations(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutAnnotations);
  if (schema === null || typeof schema !== 'object') return schema;
  const lean: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (annotations.has(keyword) && typeof value !== 'object') continue;
    if (keyword === 'examples' || keyword === 'example') continue;
    if (dataValues.has(keyword)) lean[keyword] = value;
    else if (schemaMaps.has(keyword) && value !== null && typeof value === 'object') {
      lean[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, subschema]) => [name, withoutAnnotations(subschema)]),
      );
    } else lean[keyword] = withoutAnnotations(value);
  }
  return lean;
}

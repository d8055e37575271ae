// Turns a dereferenced OpenAPI document into route definitions (method, Fastify URL, JSON Schemas),
// so each service validates requests from its contract rather than from hand-copied schemas.

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

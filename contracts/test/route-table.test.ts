// The route tables the services register (generated/<name>-routes.ts, contractRoutes) hold the same
// operations and validation rules as the documents they come from, without the annotations.
import t from 'tap';
import { orderDocument } from '../generated/order-document.js';
import { tokenizerDocument } from '../generated/tokenizer-document.js';
import { contractRoutes, type OpenApiDocument, operationRoutes } from '../src/operations.js';

/** Every JSON path inside `value` at which `keyword` is a key whose value is not an object. */
function annotationPaths(value: unknown, keyword: string, path = ''): string[] {
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(key === keyword && (inner === null || typeof inner !== 'object') ? [`${path}/${key}`] : []),
    ...annotationPaths(inner, keyword, `${path}/${key}`),
  ]);
}

for (const [name, document] of [
  ['tokenizer', tokenizerDocument],
  ['order', orderDocument],
] as const) {
  t.test(`${name}: the route table is the document's routes without annotations`, async (t) => {
    const routes = contractRoutes(document);
    const full = operationRoutes(document);
    t.same(
      routes.map(({ operationId, method, url, statusCodes }) => ({ operationId, method, url, statusCodes })),
      full.map(({ operationId, method, url, statusCodes }) => ({ operationId, method, url, statusCodes })),
      'the same operations, methods, URLs and status codes',
    );
    t.ok(
      annotationPaths(full, 'description').length > 0,
      'the document has descriptions (the check below can fail)',
    );
    for (const keyword of ['description', 'example', 'examples', 'title']) {
      t.same(annotationPaths(routes, keyword), [], `no ${keyword}`);
    }
  });
}

t.test('security: the operation overrides the document; [] and [{}] are public', async (t) => {
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    security: [{ sigv4: [] }],
    paths: {
      '/a': { get: { operationId: 'inherits', responses: {} } },
      '/b': { get: { operationId: 'none', security: [], responses: {} } },
      '/c': { get: { operationId: 'anonymous', security: [{}], responses: {} } },
      '/d': { get: { operationId: 'own', security: [{ cognito: [] }], responses: {} } },
    },
  };
  t.same(Object.fromEntries(contractRoutes(document).map((route) => [route.operationId, route.secured])), {
    inherits: true,
    none: false,
    anonymous: false,
    own: true,
  });
});

t.test('annotations go; data and properties that share their names stay', async (t) => {
  const schema = {
    type: 'object',
    description: 'an order',
    title: 'Order',
    examples: [{ description: 'x' }],
    required: ['description', 'title'],
    properties: {
      description: { type: 'string', description: 'what the order is for', example: 'pens' },
      title: { type: 'string', enum: ['description', 'title'], default: 'title' },
    },
  };
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    paths: {
      '/orders': {
        post: {
          operationId: 'create',
          requestBody: { content: { 'application/json': { schema } } },
          responses: {},
        },
      },
    },
  };
  const [route] = contractRoutes(document);
  t.same(route?.schema.body, {
    type: 'object',
    required: ['description', 'title'],
    properties: {
      description: { type: 'string' },
      title: { type: 'string', enum: ['description', 'title'], default: 'title' },
    },
  });
});

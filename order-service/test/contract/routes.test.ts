// Every route each app registers is an operation of its contract, and every operation of the contract is
// a route of the app: read from Fastify's own route table (printRoutes), not from the code that
// registers them. HEAD routes Fastify adds for GETs and the local-only API docs (/docs) are left out.

import { operationRoutes } from '@tokenization/contracts/operations';
import { orderDocument } from '@tokenization/contracts/order-document';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import { createTestStack } from '@tokenization/tokenizer-service/test-stack';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { createOrderStack } from '../helpers/order-stack.js';

/**
 * `METHOD /path` of every route in Fastify's table, from `printRoutes({ commonPrefix: false })`: a tree
 * whose lines read `├── /segment (GET, HEAD)`, each line's path continuing its parent's.
 */
function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const [, indent = '', segment = '', methods] = match;
    const depth = indent.length / 4;
    stack.length = depth;
    stack.push(segment);
    const path = stack.join('');
    for (const method of methods?.split(', ') ?? []) routes.push(`${method} ${path}`);
  }
  return routes;
}

function relevant(route: string): boolean {
  const [method, path = ''] = route.split(' ');
  return method !== 'HEAD' && path !== '/docs' && !path.startsWith('/docs/');
}

function contractRoutes(document: Parameters<typeof operationRoutes>[0]): string[] {
  return operationRoutes(document)
    .map((route) => `${route.method} ${route.url}`)
    .sort();
}

t.test('the route table parser reads nested and parameterised routes', async (t) => {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  for (const [method, url] of [
    ['POST', '/a/b'],
    ['POST', '/a/b/c'],
    ['GET', '/a/b/:id'],
    ['DELETE', '/a/b/:id'],
    ['GET', '/z'],
  ] as const) {
    app.route({ method, url, handler: async () => ({}) });
  }
  await app.ready();
  t.same(registeredRoutes(app).filter(relevant).sort(), [
    'DELETE /a/b/:id',
    'GET /a/b/:id',
    'GET /z',
    'POST /a/b',
    'POST /a/b/c',
  ]);
  await app.close();
});

t.test('the tokenizer registers exactly the operations of its contract', async (t) => {
  const { app } = await createTestStack(t);
  const registered = registeredRoutes(app).filter(relevant).sort();
  const documented = contractRoutes(tokenizerDocument);
  t.same(
    registered.filter((route) => !documented.includes(route)),
    [],
    'no route outside the contract',
  );
  t.same(
    documented.filter((route) => !registered.includes(route)),
    [],
    'every operation implemented',
  );
  t.equal(
    documented.length,
    10,
    'tokenize, batch, detokenize, metadata, delete, verify, verify-lock, forward, two health checks',
  );
});

t.test('the order service registers exactly the operations of its contract', async (t) => {
  const { app } = await createOrderStack(t);
  const registered = registeredRoutes(app).filter(relevant).sort();
  const documented = contractRoutes(orderDocument);
  t.same(
    registered.filter((route) => !documented.includes(route)),
    [],
    'no route outside the contract',
  );
  t.same(
    documented.filter((route) => !registered.includes(route)),
    [],
    'every operation implemented',
  );
  t.equal(documented.length, 5);
});

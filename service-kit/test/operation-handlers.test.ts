// Handler types come from the generated operations: `npx tsc -p service-kit` fails when one of the
// `@ts-expect-error` lines below stops being an error (a missing or unknown handler, a wrong body, reply or
// parameter type would then compile). The run below only checks the handlers are plain functions.
import type { OperationHandlers } from '@tokenization/service-kit/operation-handlers';
import t from 'tap';

// The shape openapi-typescript generates, cut down to three operations.
interface operations {
  create: {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    requestBody: { content: { 'application/json': { name: string } } };
    responses: {
      201: { headers: { [name: string]: unknown }; content: { 'application/json': { id: string } } };
      400: { headers: { [name: string]: unknown }; content: { 'application/problem+json': unknown } };
    };
  };
  read: {
    parameters: { query?: never; header?: never; path: { id: string }; cookie?: never };
    requestBody?: never;
    responses: {
      200: { headers: { [name: string]: unknown }; content: { 'application/json': { name: string } } };
    };
  };
  remove: {
    parameters: { query?: never; header?: never; path: { id: string }; cookie?: never };
    requestBody?: never;
    responses: { 204: { headers: { [name: string]: unknown }; content?: never } };
  };
}

const handlers: OperationHandlers<operations> = {
  async create(request, reply) {
    const name: string = request.body.name;
    // @ts-expect-error: the body has no such field
    void request.body.other;
    // @ts-expect-error: 201 answers `{ id }`, not `{ name }`
    reply.code(201).send({ name });
    return reply.code(201).send({ id: name });
  },
  async read(request) {
    const id: string = request.params.id;
    // @ts-expect-error: no such path parameter
    void request.params.other;
    return { name: id };
  },
  async remove(_request, reply) {
    return reply.code(204).send();
  },
};

// @ts-expect-error: `remove` is missing
const missing: OperationHandlers<operations> = { create: handlers.create, read: handlers.read };

const unknown: OperationHandlers<operations> = {
  ...handlers,
  // @ts-expect-error: no operation is called `update`
  update: handlers.read,
};

t.test('one handler per operation, each a function', async (t) => {
  t.same(Object.keys(handlers).sort(), ['create', 'read', 'remove']);
  t.ok(Object.values(handlers).every((handler) => typeof handler === 'function'));
  t.ok(missing && unknown);
});

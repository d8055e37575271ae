// Handler types derived from a contract's generated `operations` (openapi-typescript): each handler's body,
// path parameters, query and success replies come from its operation, so the `request.body as ...` casts
// go away, and a missing or unknown handler is a compile error.
import type {
  FastifyReply,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteHandlerMethod,
} from 'fastify';

type JsonContent<T> = T extends { content: { 'application/json': infer Json } } ? Json : undefined;

type SuccessStatus = 200 | 201 | 202 | 204;

/** The operation's request body as its contract declares it (`undefined` when it takes none). */
export type OperationBody<Operation> = Operation extends { requestBody: infer Body }
  ? JsonContent<NonNullable<Body>>
  : undefined;

type Parameters<Operation, In extends 'path' | 'query'> = Operation extends {
  parameters: { [Key in In]?: infer Declared };
}
  ? [Declared] extends [never]
    ? Record<string, never>
    : NonNullable<Declared>
  : Record<string, never>;

/** The success answers by status code: what a handler may send or return. */
export type OperationReplies<Operation> = Operation extends { responses: infer Responses }
  ? { [Status in keyof Responses & SuccessStatus]: JsonContent<Responses[Status]> }
  : never;

/** The Fastify route generic of one contract operation. */
export interface OperationRoute<Operation> {
  Body: OperationBody<Operation>;
  Params: Parameters<Operation, 'path'>;
  Querystring: Parameters<Operation, 'query'>;
  Reply: OperationReplies<Operation>;
}

export type OperationRequest<Operation> = FastifyRequest<OperationRoute<Operation>>;
export type OperationReply<Operation> = FastifyReply<OperationRoute<Operation>>;

export type OperationHandler<Operation> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  OperationRoute<Operation>
>;

/** One handler per operationId of `Operations` (a contract's generated `operations`), no more, no less. */
export type OperationHandlers<Operations> = {
  [OperationId in keyof Operations]: OperationHandler<Operations[OperationId]>;
};

// The answers of forward's refusals and failures: each its own problem type (docs/forwarding.md).
import type { Problem } from '@tokenization/service-kit/problem';
import { problemType } from '@tokenization/service-kit/problem';
import type { ProblemAnswer } from '@tokenization/service-kit/problem-handling';
import {
  ConnectionNotFoundError,
  DestinationAnswerRefusedError,
  DestinationFailedError,
  DestinationRefusedError,
  ForwardHeaderNotAllowedError,
  ForwardRouteNotAllowedError,
  type RefusedAnswer,
  TokenAtUndeclaredPointerError,
  TokenUnusableError,
} from '../forwarding/errors.js';

// A destination status that means something of the tokenizer's own to its callers and their SDK (the
// signature, the permission, a proxy, throttling) is answered 424 instead; `destination.status` says which.
const ownMeaning = new Set([401, 403, 407, 429]);

const unusableMessages = {
  not_found: 'No such token.',
  expired: 'The token has expired.',
  exhausted: 'The token has no uses left.',
} as const;

const refusedAnswers: Record<RefusedAnswer, { slug: string; detail: string }> = {
  redirect: {
    slug: 'destination-redirect-refused',
    detail: 'The destination answered with a redirect; redirects are never followed.',
  },
  'too-large': {
    slug: 'destination-response-too-large',
    detail: "The destination's answer is larger than the connection allows.",
  },
  'not-json': { slug: 'destination-response-not-json', detail: "The destination's answer is not JSON." },
  'address-refused': {
    slug: 'destination-address-refused',
    detail: "The destination's host resolves to an address that is not allowed.",
  },
};

export function forwardAnswerFor(error: unknown, retryAfterSeconds: number): ProblemAnswer | undefined {
  if (error instanceof ConnectionNotFoundError) {
    return {
      problem: {
        type: problemType('connection-not-found'),
        title: 'Not Found',
        status: 404,
        detail: 'No such connection.',
      },
    };
  }
  if (error instanceof ForwardRouteNotAllowedError) {
    const message = `The ${error.field} is outside the connection's routes.`;
    return {
      problem: {
        type: problemType('forward-route-not-allowed'),
        title: 'Bad Request',
        status: 400,
        detail: message,
        errors: [{ field: `/body/${error.field}`, message }],
      },
    };
  }
  if (error instanceof ForwardHeaderNotAllowedError) {
    const message = 'The connection does not let callers pass this header.';
    return {
      problem: {
        type: problemType('forward-header-not-allowed'),
        title: 'Bad Request',
        status: 400,
        detail: message,
        errors: [{ field: '/body/headers', message }],
      },
    };
  }
  if (error instanceof TokenAtUndeclaredPointerError) {
    const message = "A token or card number outside the connection's token pointers.";
    return {
      problem: {
        type: problemType('token-at-undeclared-pointer'),
        title: 'Bad Request',
        status: 400,
        detail: message,
        errors: error.fields.map((field) => ({ field: `/body/body${field}`, message })),
      },
    };
  }
  if (error instanceof TokenUnusableError) {
    return {
      problem: {
        type: problemType('token-unusable'),
        title: 'Unprocessable Content',
        status: 422,
        detail: 'A token at a token pointer cannot be used; nothing was sent.',
        errors: error.items.map(({ field, code }) => ({
          field: `/body/body${field}`,
          message: unusableMessages[code],
        })),
      },
    };
  }
  if (error instanceof DestinationRefusedError) {
    const problem: Problem & { destination: { status: number; body?: unknown } } = {
      type: problemType('destination-refused'),
      title: 'Destination Refused',
      status: ownMeaning.has(error.status) ? 424 : error.status,
      detail: `The destination answered ${error.status}.`,
      destination: { status: error.status, ...(error.body !== undefined ? { body: error.body } : {}) },
    };
    return { problem };
  }
  if (error instanceof DestinationFailedError) {
    return {
      problem: {
        type: problemType('destination-failed'),
        title: 'Service Unavailable',
        status: 503,
        detail: 'The destination did not answer, or failed; retry later with the same idempotency key.',
      },
      headers: { 'retry-after': String(retryAfterSeconds) },
    };
  }
  if (error instanceof DestinationAnswerRefusedError) {
    const { slug, detail } = refusedAnswers[error.refused];
    return { problem: { type: problemType(slug), title: 'Bad Gateway', status: 502, detail } };
  }
  return undefined;
}

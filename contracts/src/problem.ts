// RFC 9457 problem details as the contracts define them (`components.schemas.Problem`), and the answers
// every service gives alike: contract validation failures and Fastify's own client errors. Details are
// fixed texts or field paths: request data, which may hold a card number, is never echoed.

export const problemContentType = 'application/problem+json';

export interface ProblemField {
  /** A JSON Pointer into the request, e.g. `/body/CreditCard`. */
  field: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: ProblemField[];
}

export function problemType(slug: string): string {
  return `urn:tokenization:problem:${slug}`;
}

/** One Ajv issue as Fastify reports it in `error.validation`. */
export interface ValidationIssue {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** `400` naming every field that failed the contract's schema; `context` is `body`, `params`, ... */
export function validationProblem(issues: readonly ValidationIssue[], context: string): Problem {
  return invalidFieldsProblem(
    issues.map((issue) => ({ field: fieldPointer(context, issue), message: issue.message ?? 'is invalid' })),
  );
}

/** `400` naming fields the schema accepts but the service does not (a card number failing Luhn, ...). */
export function invalidFieldsProblem(errors: ProblemField[]): Problem {
  return {
    type: problemType('validation'),
    title: 'Bad Request',
    status: 400,
    detail: 'The request does not match the API contract.',
    errors,
  };
}

/** A problem for Fastify's own client errors (`FST_ERR_CTP_*`); undefined for any other code. */
export function fastifyClientProblem(code: string | undefined): Problem | undefined {
  const known = code === undefined ? undefined : fastifyClientProblems[code];
  return known && { type: problemType(known.slug), ...known.problem };
}

/** For a 400 Fastify raised without a known code: JSON.parse messages quote the body, so say nothing. */
export const malformedRequestProblem: Problem = {
  type: problemType('malformed-request'),
  title: 'Bad Request',
  status: 400,
  detail: 'The request is malformed.',
};

/** Any 5xx nobody anticipated: says nothing about internals. */
export const internalProblem: Problem = {
  type: problemType('internal'),
  title: 'Internal Server Error',
  status: 500,
  detail: 'An unexpected error occurred.',
};

const fastifyClientProblems: Record<string, { slug: string; problem: Omit<Problem, 'type'> }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    slug: 'payload-too-large',
    problem: { title: 'Payload Too Large', status: 413, detail: 'The request body is too large.' },
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    slug: 'unsupported-media-type',
    problem: {
      title: 'Unsupported Media Type',
      status: 415,
      detail: 'Send the request body as application/json.',
    },
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    slug: 'malformed-request',
    problem: { title: 'Bad Request', status: 400, detail: 'The request body is empty.' },
  },
  FST_ERR_CTP_INVALID_JSON_BODY: {
    slug: 'malformed-request',
    problem: { title: 'Bad Request', status: 400, detail: 'The request body is not valid JSON.' },
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    slug: 'malformed-request',
    problem: {
      title: 'Bad Request',
      status: 400,
      detail: 'The Content-Length header does not match the body.',
    },
  },
};

// Property names come from the request: only echo ones that cannot be a card number or markup.
const safePropertyName = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A JSON Pointer to the offending field, e.g. `/body/items/3/value`. */
export function fieldPointer(context: string, issue: ValidationIssue): string {
  const base = `/${context}${issue.instancePath}`;
  const property = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof property !== 'string') return base;
  return `${base}/${safePropertyName.test(property) ? property : '(unnamed)'}`;
}

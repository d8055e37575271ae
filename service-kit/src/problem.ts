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
  /** Where in the schema the issue arose, e.g. `#/properties/metadata/additionalProperties/maxLength`. */
  schemaPath?: string;
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

// A key the caller chose (an unknown property, a metadata key) is named only when it holds letters, `_`, `.`
// and `-`: no digit, so never a card number, and no markup. Any other key is never repeated.
const safeCallerKey = /^[A-Za-z_.-]{1,64}$/;

/**
 * A JSON Pointer to the offending field, e.g. `/body/items/3/value`. It repeats only what the schema names
 * (declared properties, array indexes) and safe caller keys: below an unsafe key (`metadata/4111…`) it
 * names the object that holds it (`/body/metadata`), an unknown property it shows as `(unnamed)`.
 */
export function fieldPointer(context: string, issue: ValidationIssue): string {
  const segments = issue.instancePath.split('/').slice(1);
  const declared = issue.schemaPath?.startsWith('#/')
    ? declaredSegments(segments, issue.schemaPath.slice(2).split('/'))
    : segments.slice(
        0,
        leadingCount(segments, (segment) => /^\d{1,4}$/.test(segment) || safeCallerKey.test(segment)),
      );
  const base = `/${context}${declared.map((segment) => `/${segment}`).join('')}`;
  const property = issue.params.missingProperty ?? issue.params.additionalProperty;
  if (typeof property !== 'string' || declared.length < segments.length) return base;
  if (issue.params.missingProperty !== undefined) return `${base}/${property}`;
  return `${base}/${safeCallerKey.test(property) ? property : '(unnamed)'}`;
}

/**
 * The leading instance path segments the schema path accounts for: property names it declares and array
 * indexes, and keys of a map (`additionalProperties`, `patternProperties`) only when safe. It stops at the
 * first segment it cannot account for.
 */
function declaredSegments(segments: readonly string[], schemaPath: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < schemaPath.length && kept.length < segments.length; i++) {
    const keyword = schemaPath[i] as string;
    const segment = segments[kept.length] as string;
    if (keyword === 'properties') {
      i++;
      // A declared name is the segment itself; anything else is not accounted for.
      if (schemaPath[i] !== segment) break;
      kept.push(segment);
    } else if (arrayKeywords.has(keyword)) {
      if (/^\d+$/.test(schemaPath[i + 1] ?? '')) i++;
      if (!/^\d+$/.test(segment)) break;
      kept.push(segment);
    } else if (mapKeywords.has(keyword)) {
      if (keyword === 'patternProperties') i++;
      if (!safeCallerKey.test(segment)) break;
      kept.push(segment);
    } else if (keyword === 'propertyNames') {
      break;
    } else if (indexedKeywords.has(keyword)) {
      i++;
    }
  }
  return kept;
}

const arrayKeywords = new Set(['items', 'prefixItems', 'additionalItems', 'contains', 'unevaluatedItems']);
const mapKeywords = new Set(['additionalProperties', 'patternProperties', 'unevaluatedProperties']);
const indexedKeywords = new Set(['allOf', 'anyOf', 'oneOf', 'dependentSchemas', '$defs', 'definitions']);

function leadingCount(segments: readonly string[], keep: (segment: string) => boolean): number {
  const index = segments.findIndex((segment) => !keep(segment));
  return index < 0 ? segments.length : index;
}

// Starts a Lambda bundle the way Lambda's Node.js runtime does, in a fresh process: shared by the bundling
// test (infra/test/bundling.test.ts) and the benchmark's cold-start measure (src/bench/cold-start.ts).
// Every answer read here is recorded for the run's response scan (response-capture.ts).
import { operationOfPath, recordResponse } from './response-capture.js';

export interface RestApiEventOptions {
  method: string;
  /** The resource path, as the function sees it (the stage prefix is added to `requestContext.path`). */
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Added to the request context: `identity` (AWS_IAM), `authorizer` (Cognito), ids, times. */
  requestContext?: Record<string, unknown>;
}

/** An API Gateway REST (v1) Lambda proxy event on stage `prod`; the body is sent as JSON. */
export function restApiEvent(options: RestApiEventOptions): Record<string, unknown> {
  const { method, path } = options;
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: options.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: path,
      httpMethod: method,
      path: `/prod${path}`,
      stage: 'prod',
      ...options.requestContext,
    },
    body: options.body === undefined ? null : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

/**
 * An API Gateway REST (v1) proxy event for `GET /health/live` on stage `prod`. With `userArn`, the event
 * carries the identity API Gateway's AWS_IAM authorization verified (the tokenizer requires one).
 */
export function healthProbeEvent(userArn?: string): Record<string, unknown> {
  return restApiEvent({
    method: 'GET',
    path: '/health/live',
    requestContext: {
      requestId: 'health-probe',
      ...(userArn ? { identity: { userArn, accountId: userArn.split(':')[4] } } : {}),
    },
  });
}

/**
 * Source for `node --input-type=module -e`: imports the bundle as Lambda's ESM loader would (top-level
 * await included), calls its `handler` with `event`, prints `RESULT {…}` and exits (open sockets of SDK
 * clients must not keep the process alive).
 */
export function invokeBundleScript(bundleFile: string, event: unknown): string {
  return `
    const booted = performance.now();
    const { handler } = await import(${JSON.stringify(`file://${bundleFile}`)});
    const imported = performance.now();
    const event = ${JSON.stringify(event)};
    const response = await handler(event, {});
    const answered = performance.now();
    const timings = { bootMs: booted, importMs: imported - booted, firstEventMs: answered - imported };
    const request = { method: String(event?.httpMethod ?? '?'), path: String(event?.path ?? '') };
    process.stdout.write('RESULT ' + JSON.stringify({ statusCode: response.statusCode, body: response.body, timings, request }) + '\\n');
    process.exit(0);
  `;
}

export interface InvokeResult {
  statusCode?: number;
  body?: string;
  /** Milliseconds: Node's start until the script runs, importing the bundle, answering the event. */
  timings?: { bootMs: number; importMs: number; firstEventMs: number };
  /** The event's method and path, for the response scan. */
  request?: { method: string; path: string };
}

/** The answer an `invokeBundleScript` process printed, among the bundle's own log lines. */
export function invokeResult(output: string): InvokeResult {
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  const result = JSON.parse(line?.slice('RESULT '.length) ?? '{}') as InvokeResult;
  recordLambdaResponse(
    { httpMethod: result.request?.method, path: result.request?.path },
    result,
    'Lambda bundle',
  );
  return result;
}

/**
 * Records a Lambda proxy answer for the run's response scan: tests that call a Lambda handler in process
 * pass each event and its answer here.
 */
export function recordLambdaResponse(
  event: { httpMethod?: unknown; path?: unknown },
  response: { statusCode?: number; body?: string | null },
  source = 'Lambda handler',
): void {
  const method = typeof event.httpMethod === 'string' ? event.httpMethod : '?';
  const operation = operationOfPath(method, typeof event.path === 'string' ? event.path : '');
  recordResponse({
    source,
    method,
    ...(operation ? { operation } : {}),
    status: response.statusCode ?? 0,
    body: response.body ?? '',
  });
}

// Starts a Lambda bundle the way Lambda's Node.js runtime does, in a fresh process: shared by the bundling
// test (infra/test/bundling.test.ts) and the benchmark's cold-start measure (src/bench/cold-start.ts).

/**
 * An API Gateway REST (v1) proxy event for `GET /health/live` on stage `prod`. With `userArn`, the event
 * carries the identity API Gateway's AWS_IAM authorization verified (the tokenizer requires one).
 */
export function healthProbeEvent(userArn?: string): Record<string, unknown> {
  return {
    resource: '/health/live',
    path: '/health/live',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourcePath: '/health/live',
      httpMethod: 'GET',
      path: '/prod/health/live',
      stage: 'prod',
      requestId: 'health-probe',
      ...(userArn ? { identity: { userArn, accountId: userArn.split(':')[4] } } : {}),
    },
    body: null,
    isBase64Encoded: false,
  };
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
    const response = await handler(${JSON.stringify(event)}, {});
    const answered = performance.now();
    const timings = { bootMs: booted, importMs: imported - booted, firstEventMs: answered - imported };
    process.stdout.write('RESULT ' + JSON.stringify({ statusCode: response.statusCode, body: response.body, timings }) + '\\n');
    process.exit(0);
  `;
}

export interface InvokeResult {
  statusCode?: number;
  body?: string;
  /** Milliseconds: Node's start until the script runs, importing the bundle, answering the event. */
  timings?: { bootMs: number; importMs: number; firstEventMs: number };
}

/** The answer an `invokeBundleScript` process printed, among the bundle's own log lines. */
export function invokeResult(output: string): InvokeResult {
  const line = output.split('\n').find((l) => l.startsWith('RESULT '));
  return JSON.parse(line?.slice('RESULT '.length) ?? '{}') as InvokeResult;
}

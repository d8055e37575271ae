// The Lambda entry as API Gateway invokes it: config from the environment, the tokenizer signed with
// credentials from the default provider chain, API Gateway REST (v1) proxy events whose
// requestContext.authorizer.claims are the ID token claims the Cognito user pool authorizer verified. The
// function cannot reach the pool's JWKS from its isolated subnets: it re-checks the claims instead.
import { fileURLToPath } from 'node:url';
import { recordLambdaResponse, restApiEvent } from '@tokenization/local-aws/test-support/lambda-invoke';
import { recordLogLines } from '@tokenization/local-aws/test-support/log-capture';
import { build } from 'esbuild';
import t from 'tap';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  holdsNoCardNumber,
  orderLogLines,
  sampleOrder,
  testCardNumbers,
  tokenizerTestCredentials,
} from './helpers/order-stack.js';

interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const stack = await createOrderStack(t);
const { config } = stack;

// Lambda ships stdout to CloudWatch Logs: the function's JSON log lines are kept out of the TAP stream and
// scanned, here and in the whole run's scan, as the other order apps' lines are.
const lambdaLogLines: string[] = [];
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = String(chunk);
  if (!text.startsWith('{"level"')) return (writeStdout as (...args: unknown[]) => boolean)(chunk, ...rest);
  const lines = text.split('\n').filter(Boolean);
  lambdaLogLines.push(...lines);
  orderLogLines.push(...lines);
  recordLogLines(lines);
  const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
  callback?.();
  return true;
}) as typeof process.stdout.write;
t.teardown(() => {
  process.stdout.write = writeStdout;
});

// On AWS there is no COGNITO_ENDPOINT: the issuer is Cognito's own.
const issuer = `https://cognito-idp.${config.AWS_REGION}.amazonaws.com/${config.COGNITO_USER_POOL_ID}`;
Object.assign(process.env, {
  AWS_REGION: config.AWS_REGION,
  ORDER_TABLE_NAME: config.ORDER_TABLE_NAME,
  TOKENIZER_API_URL: config.TOKENIZER_API_URL,
  COGNITO_USER_POOL_ID: config.COGNITO_USER_POOL_ID,
  COGNITO_CLIENT_ID: config.COGNITO_CLIENT_ID,
  DYNAMODB_ENDPOINT: config.DYNAMODB_ENDPOINT,
  // Read by the default credential provider chain, as a Lambda role's credentials are.
  AWS_ACCESS_KEY_ID: tokenizerTestCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: tokenizerTestCredentials.secretAccessKey,
  // The level deployments run at (infra's default): a card number logged on this path would be seen.
  LOG_LEVEL: 'info',
});
delete process.env.COGNITO_ENDPOINT;
const { handler } = await import('../src/lambda.js');

/** A time as API Gateway's REST Cognito authorizer writes `exp` and `iat`: `Thu Dec 06 17:08:23 UTC 2018`. */
function apiGatewayDate(date: Date): string {
  const [weekday, day, month, year, time] = date.toUTCString().replace(',', '').split(' ');
  return `${weekday} ${month} ${day} ${time} UTC ${year}`;
}

/** The claims of a valid ID token of `sub`, as the authorizer passes them on: every value a string. */
function claimsOf(sub: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    sub,
    aud: config.COGNITO_CLIENT_ID,
    email_verified: 'true',
    event_id: 'd9ce2e53-9b1e-4a35-a2e3-3c1e0c7f3b0a',
    token_use: 'id',
    auth_time: String(Math.floor(now / 1000)),
    iss: issuer,
    'cognito:username': sub,
    exp: apiGatewayDate(new Date(now + 3_600_000)),
    iat: apiGatewayDate(new Date(now)),
    ...overrides,
  };
}

/** An API Gateway REST API (v1) Lambda proxy event; `claims: null` leaves the authorizer out. */
function restEvent(
  httpMethod: string,
  path: string,
  options: { body?: unknown; claims?: Record<string, unknown> | null; headers?: Record<string, string> } = {},
) {
  const claims = options.claims === undefined ? claimsOf('alice-sub') : options.claims;
  return restApiEvent({
    method: httpMethod,
    path,
    // API Gateway passes the Authorization header on; the function does not read it.
    headers: {
      'Content-Type': 'application/json',
      Authorization: 'eyJraWQiOi.not-verified-here.x',
      ...options.headers,
    },
    body: options.body,
    requestContext: { requestId: 'req-1', ...(claims === null ? {} : { authorizer: { claims } }) },
  });
}

const invoke = async (event: ReturnType<typeof restEvent>) => {
  const result = (await handler(event, {})) as ProxyResult;
  recordLambdaResponse(event, result);
  return { ...result, json: () => JSON.parse(result.body) as Record<string, unknown> };
};

t.test('POST /order, GET /order and /paybill as the user the authorizer verified', async (t) => {
  const created = await invoke(restEvent('POST', '/order', { body: sampleOrder() }));
  t.equal(created.statusCode, 200);
  t.equal(created.json().message, 'Order Created Successfully');
  const read = await invoke(restEvent('GET', '/order/123456789'));
  t.equal(read.statusCode, 200);
  t.match(read.json(), { CustomerOrder: '123456789', CardLast4: '1111', CardBrand: 'visa' });
  t.match((await stack.orderItems())[0], { owner: { S: 'alice-sub' } }, 'the owner is the claims sub');

  const asBob = await invoke(restEvent('GET', '/order/123456789', { claims: claimsOf('bob-sub') }));
  t.equal(asBob.statusCode, 404, "another user's order does not exist for them");

  const paid = await invoke(restEvent('POST', '/paybill', { body: { CustomerOrder: '123456789' } }));
  t.equal(paid.statusCode, 200);
  t.equal(paid.json()['CreditCard Charged'], '************1111');
});

t.test('exp as seconds is accepted too', async (t) => {
  const exp = String(Math.floor(Date.now() / 1000) + 600);
  const read = await invoke(restEvent('GET', '/order/123456789', { claims: claimsOf('alice-sub', { exp }) }));
  t.equal(read.statusCode, 200);
});

t.test('claims the service does not accept: 401, whatever the Authorization header holds', async (t) => {
  const past = apiGatewayDate(new Date(Date.now() - 60_000));
  const cases: [string, Record<string, unknown> | null][] = [
    ['no authorizer claims', null],
    ['empty claims', {}],
    ['another app client (aud)', claimsOf('alice-sub', { aud: 'someotherclient' })],
    ['another user pool (iss)', claimsOf('alice-sub', { iss: `${issuer}x` })],
    [
      'cognito-local issuer',
      claimsOf('alice-sub', { iss: `${config.COGNITO_ENDPOINT}/${config.COGNITO_USER_POOL_ID}` }),
    ],
    ['an access token', claimsOf('alice-sub', { token_use: 'access' })],
    ['no token_use', claimsOf('alice-sub', { token_use: undefined })],
    ['expired', claimsOf('alice-sub', { exp: past })],
    ['no exp', claimsOf('alice-sub', { exp: undefined })],
    ['an exp that is not a date', claimsOf('alice-sub', { exp: 'tomorrow' })],
    ['an empty sub', claimsOf('', {})],
    ['no sub', claimsOf('alice-sub', { sub: undefined })],
  ];
  for (const [name, claims] of cases) {
    const response = await invoke(restEvent('GET', '/order/123456789', { claims }));
    t.equal(response.statusCode, 401, `${name}: 401`);
    t.equal(response.json().type, 'urn:tokenization:problem:unauthenticated', `${name}: problem type`);
    t.equal(response.headers['www-authenticate'], 'Bearer');
  }
  const created = await invoke(
    restEvent('POST', '/order', {
      body: sampleOrder({ CustomerOrder: 'wrong-aud' }),
      claims: claimsOf('alice-sub', { aud: 'someotherclient' }),
    }),
  );
  t.equal(created.statusCode, 401, 'before the body is looked at');
  t.equal((await stack.orderItems()).length, 1, 'nothing was written');
});

t.test('the health probes need no claims', async (t) => {
  t.equal((await invoke(restEvent('GET', '/health/live', { claims: null }))).statusCode, 200);
});

t.test('the Lambda bundle holds no JWT verification: no jose, no JWKS client', async (t) => {
  const entry = fileURLToPath(new URL('../src/lambda.ts', import.meta.url));
  const { metafile } = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(metafile.inputs);
  t.ok(
    inputs.some((input) => input.endsWith('src/http/api-gateway-authenticator.ts')),
    'the API Gateway claims check is in',
  );
  t.same(
    inputs.filter((input) => /cognito-id-token-verifier|local-authentication/.test(input)),
    [],
    'the JWT verifier is not',
  );
  const imports = Object.values(metafile.outputs).flatMap((output) => output.imports.map((i) => i.path));
  t.notOk(
    imports.some((path) => path === 'jose' || path.startsWith('jose/')),
    'nor jose',
  );
});

t.test(
  'the Lambda path logs at info, and no line holds a card number, wherever a caller put one',
  async (t) => {
    const [card] = testCardNumbers;
    const grouped = card.replace(/(\d{4})(?=\d)/g, '$1 ');
    const misplaced: [string, ReturnType<typeof restEvent>][] = [
      ['a card number as the path', restEvent('GET', `/order/${card}`)],
      ['as the paid CustomerOrder', restEvent('POST', '/paybill', { body: { CustomerOrder: card } })],
      [
        'grouped, as the name',
        restEvent('POST', '/order', {
          body: sampleOrder({ CustomerOrder: 'misplaced-1', CustomerName: grouped }),
        }),
      ],
      [
        'as the address',
        restEvent('POST', '/order', { body: sampleOrder({ CustomerOrder: 'misplaced-2', Address: card }) }),
      ],
      [
        'with one more digit, as the card',
        restEvent('POST', '/order', {
          body: sampleOrder({ CustomerOrder: 'misplaced-3', CreditCard: `${card}0` }),
        }),
      ],
    ];
    for (const [name, event] of misplaced) {
      const answer = await invoke(event);
      t.ok(answer.statusCode >= 400 && answer.statusCode < 500, `${name}: refused`);
    }
    const created = await invoke(
      restEvent('POST', '/order', { body: sampleOrder({ CustomerOrder: 'logged-1' }) }),
    );
    t.equal(created.statusCode, 200);

    const events = lambdaLogLines.map((line) => (JSON.parse(line) as { event?: string }).event);
    t.ok(events.includes('order.created'), 'the Lambda path was logged at info (its order events)');
    t.ok(
      lambdaLogLines.some((line) => line.includes('"_aws":') && line.includes('"route":')),
      'with the metrics line of each request, where a path holding a card number would show',
    );
    t.same(
      lambdaLogLines.filter((line) => !holdsNoCardNumber(line)),
      [],
      'no log line of the Lambda path holds a card number',
    );
  },
);

assertNoCardNumberLogged(t);

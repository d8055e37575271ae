// The Lambda entry as Lambda runs it: configured from the environment, invoked with API Gateway REST (v1)
// proxy events whose requestContext.identity is the principal API Gateway's AWS_IAM authorization verified.
import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { startLocalKms } from '@tokenization/local-aws/local-kms';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-aws/test-support/dynamodb';
import { recordLambdaResponse, restApiEvent } from '@tokenization/local-aws/test-support/lambda-invoke';
import t from 'tap';
import { DynamoDbTenantRegistry } from '../src/adapters/dynamodb-tenant-registry.js';
import { keyStoreTableDefinition } from '../src/adapters/key-store-table.js';
import { vaultTableDefinition } from '../src/adapters/vault-table.js';
import type { AuthorizationPolicyDocument } from '../src/auth/authorization-policy.js';
import {
  adminKeyStore,
  branchKeyKmsKeyArn,
  createBranchKey,
  testKeyStoreLogicalName,
} from './helpers/tenant-keys.js';
import {
  allPermissions,
  assertNoCardNumberLogged,
  captureLogLines,
  testCardNumbers,
} from './helpers/test-stack.js';

const [visa] = testCardNumbers;
const account = '123456789012';
const orderRole = `arn:aws:iam::${account}:role/order-service`;
const orderRoleSession = `arn:aws:sts::${account}:assumed-role/order-service/order-service-function`;
const otherTenantRoleSession = `arn:aws:sts::${account}:assumed-role/other-app/other-app-function`;
const reportingUser = `arn:aws:iam::${account}:user/reporting`;
const policy: AuthorizationPolicyDocument = {
  principals: [
    { arn: orderRole, tenant: 'orders', permissions: [...allPermissions] },
    { arn: `arn:aws:iam::${account}:role/other-app`, tenant: 'other', permissions: [...allPermissions] },
    { arn: reportingUser, tenant: 'orders', permissions: ['metadata:read'] },
  ],
};

// The vault, the tenants' branch keys and KMS (the vault key, the branch keys' key) the function uses.
const kms = await startLocalKms({ keys: 2 });
const dynamoDb = testDynamoDbClient();
const tableName = uniqueTableName('lambda-vault');
const keyStoreTableName = uniqueTableName('lambda-branch-keys');
await dynamoDb.send(new CreateTableCommand(vaultTableDefinition(tableName)));
await dynamoDb.send(new CreateTableCommand(keyStoreTableDefinition(keyStoreTableName)));
const keyStore = adminKeyStore(t, { kms, dynamoDb, tableName: keyStoreTableName });
// Onboarded: a branch key and an active tenant record per tenant.
const registry = new DynamoDbTenantRegistry({ client: dynamoDb, tableName });
for (const tenant of new Set(policy.principals.map((principal) => principal.tenant))) {
  await createBranchKey(keyStore, tenant);
  await registry.create(tenant, new Date());
}
t.teardown(async () => {
  await dynamoDb.send(new DeleteTableCommand({ TableName: tableName }));
  await dynamoDb.send(new DeleteTableCommand({ TableName: keyStoreTableName }));
  dynamoDb.destroy();
  await kms.close();
});

// Lambda ships stdout to CloudWatch Logs: keep the function's JSON log lines out of the TAP stream and in
// the captured lines (the secrets scan and the audit checks read them).
const stdoutLines: string[] = [];
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
  const text = String(chunk);
  if (!text.startsWith('{"level"')) return (writeStdout as (...args: unknown[]) => boolean)(chunk, ...rest);
  const lines = text.split('\n').filter(Boolean);
  stdoutLines.push(...lines);
  captureLogLines(lines);
  const callback = rest.find((argument) => typeof argument === 'function') as (() => void) | undefined;
  callback?.();
  return true;
}) as typeof process.stdout.write;
t.teardown(() => {
  process.stdout.write = writeStdout;
});

Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  TOKEN_VAULT_TABLE_NAME: tableName,
  KMS_KEY_ARN: kms.keyArn,
  DYNAMODB_ENDPOINT: testDynamoDbEndpoint(),
  KMS_ENDPOINT: kms.endpoint,
  KEY_STORE_TABLE_NAME: keyStoreTableName,
  BRANCH_KEY_KMS_KEY_ARN: branchKeyKmsKeyArn(kms),
  KEY_STORE_LOGICAL_NAME: testKeyStoreLogicalName,
  AUTHORIZATION_POLICY: JSON.stringify(policy),
  LOG_LEVEL: 'info',
});
const { handler } = await import('../src/lambda.js');

interface Identity {
  userArn: string | null;
  caller?: string | null;
  accountId?: string | null;
}

/** An API Gateway REST API (v1) Lambda proxy event, as AWS_IAM authorization leaves it. */
function restEvent(
  method: string,
  path: string,
  options: { body?: unknown; identity?: Identity | null; headers?: Record<string, string> } = {},
) {
  const identity =
    options.identity === null
      ? null
      : {
          accountId: account,
          caller: 'AROAEXAMPLEROLEID:order-service-function',
          accessKey: 'ASIAEXAMPLEKEY',
          sourceIp: '10.0.1.23',
          user: 'AROAEXAMPLEROLEID:order-service-function',
          userAgent: 'aws-sdk-js/3',
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          cognitoAuthenticationType: null,
          cognitoAuthenticationProvider: null,
          principalOrgId: null,
          ...(options.identity ?? { userArn: orderRoleSession }),
        };
  return restApiEvent({
    method,
    path,
    headers: {
      'content-type': 'application/json',
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      ...options.headers,
    },
    body: options.body,
    requestContext: {
      accountId: account,
      apiId: 'abc123',
      protocol: 'HTTP/1.1',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      identity,
    },
  });
}

const invoke = async (event: ReturnType<typeof restEvent>) => {
  const response = await handler(event, {} as never);
  recordLambdaResponse(event, response);
  return { statusCode: response.statusCode, json: () => JSON.parse(response.body) };
};

const tokenize = async (identity?: Identity) =>
  invoke(restEvent('POST', '/v1/tokens', { body: { value: visa }, ...(identity ? { identity } : {}) }));

t.test('the caller is the principal API Gateway verified; an assumed role acts as its role', async (t) => {
  const created = await tokenize();
  t.equal(created.statusCode, 201);
  const { token } = created.json();
  const revealed = await invoke(restEvent('POST', '/v1/detokenize', { body: { tokens: [token] } }));
  t.equal(revealed.statusCode, 200);
  t.same(revealed.json().results, [{ token, value: visa }]);

  const asOtherTenant = await invoke(
    restEvent('POST', '/v1/detokenize', {
      body: { tokens: [token] },
      identity: { userArn: otherTenantRoleSession },
    }),
  );
  t.equal(asOtherTenant.json().results[0].error.code, 'not_found', "another tenant's role sees nothing");

  const asUser = await invoke(
    restEvent('GET', `/v1/tokens/${token}`, { identity: { userArn: reportingUser } }),
  );
  t.equal(asUser.statusCode, 200, 'an IAM user identity, by its ARN');
  const userReveal = await invoke(
    restEvent('POST', '/v1/detokenize', { body: { tokens: [token] }, identity: { userArn: reportingUser } }),
  );
  t.equal(userReveal.statusCode, 403, 'and only with its permissions');
});

t.test('no verified identity: 401; a principal the policy does not list: 403', async (t) => {
  const cases: [string, ReturnType<typeof restEvent>][] = [
    ['identity null', restEvent('GET', '/health/live', { identity: null })],
    ['userArn null', restEvent('GET', '/health/live', { identity: { userArn: null, caller: null } })],
    [
      'an identity forged in headers',
      restEvent('GET', '/health/live', {
        identity: { userArn: null },
        headers: {
          'x-apigateway-event': encodeURIComponent(
            JSON.stringify({ requestContext: { identity: { userArn: orderRoleSession } } }),
          ),
          'x-aws-lambda-fastify-request': 'guess',
        },
      }),
    ],
  ];
  for (const [name, event] of cases) {
    const response = await invoke(event);
    t.equal(response.statusCode, 401, name);
    t.equal(response.json().type, 'urn:tokenization:problem:unauthenticated');
  }
  const { requestContext, ...withoutContext } = restEvent('GET', '/health/live');
  t.ok(requestContext);
  t.equal((await invoke(withoutContext as never)).statusCode, 401, 'no requestContext at all');

  const stranger = await tokenize({ userArn: `arn:aws:sts::${account}:assumed-role/stranger/session` });
  t.equal(stranger.statusCode, 403);
  t.equal(stranger.json().type, 'urn:tokenization:problem:forbidden');
  t.equal(
    (await tokenize({ userArn: `arn:aws:sts::999999999999:assumed-role/order-service/session` })).statusCode,
    403,
    'the same role name in another account is another principal',
  );
});

t.test(
  'audit events go to stdout as JSON lines marked "audit": true, with the role as principal',
  async (t) => {
    const { token } = (await tokenize()).json();
    await invoke(restEvent('POST', '/v1/detokenize', { body: { tokens: [token] } }));
    await invoke(restEvent('GET', '/health/live', { identity: null }));
    const audit = stdoutLines.map((line) => JSON.parse(line)).filter((line) => line.audit === true);
    t.match(audit.at(-2), {
      audit: true,
      event: 'detokenize',
      principal: orderRole,
      tenant: 'orders',
      outcome: 'allowed',
      tokens: [token],
      results: [{ token, outcome: 'revealed' }],
    });
    t.match(audit.at(-1), {
      audit: true,
      event: 'live',
      outcome: 'denied',
      reason: 'no-identity',
      principal: null,
    });
    t.ok(
      stdoutLines.some((line) => !line.includes('"audit":true')),
      'application logs go to stdout too, without the marker',
    );
  },
);

// The bundle's contents (no SigV4 verifier, no local credentials, nothing dev-only) are checked for both
// services in resilience/lambda-bundles.test.ts.

assertNoCardNumberLogged(t);

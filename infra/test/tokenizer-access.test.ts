// The principal model behind AUTHORIZATION_POLICY, the API resource policy and the endpoint policy, checked
// against the tokenizer's own contract, schema and code, so the infrastructure and the service cannot drift.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { operationRoutes } from '@tokenization/contracts/operations';
import { tokenizerDocument } from '@tokenization/contracts/tokenizer-document';
import { normalizePrincipalArn } from '@tokenization/tokenizer-service/auth/api-gateway-authenticator';
import { AuthorizationPolicy } from '@tokenization/tokenizer-service/auth/authorization-policy';
import { mayCall, mayCallWith, operationAccess } from '@tokenization/tokenizer-service/http/operation-access';
import { Stack } from 'aws-cdk-lib';
import t from 'tap';
import { ResourceNames } from '../lib/resource-names.js';
import {
  assertRoutesAllowed,
  authorizationPolicy,
  executeApiEndpointStatements,
  forwardRoute,
  resourcePolicyRouteArn,
  route,
  routesFor,
  type TokenizerPrincipal,
  tokenizerPermissions,
  tokenizerResourcePolicy,
  tokenizerRoutes,
} from '../lib/tokenizer-access.js';
import { orderServiceClient } from '../lib/tokenizer-clients.js';

const repositoryRoot = join(import.meta.dirname, '..', '..');
const orders: TokenizerPrincipal = {
  name: 'order-service',
  roleArn: 'arn:aws:iam::123456789012:role/tokenization-order-service-eu-west-1',
  tenant: 'orders',
  permissions: ['tokenize', 'detokenize', 'delete'],
  calls: [
    route('POST', '/v1/tokens'),
    route('POST', '/v1/detokenize'),
    route('DELETE', '/v1/tokens/{token}'),
  ],
};

t.test('the route table is the contract: same operations, methods and paths', async (t) => {
  const contract = operationRoutes(tokenizerDocument)
    .map((r) => `${r.operationId} ${r.method} ${r.path}`)
    .sort();
  t.same(tokenizerRoutes.map((r) => `${r.operationId} ${r.method} ${r.path}`).sort(), contract);
});

t.test('route permissions are the ones the tokenizer enforces', async (t) => {
  for (const r of tokenizerRoutes) {
    const rule = operationAccess[r.operationId];
    t.ok(rule, `${r.operationId} has an access rule in the tokenizer`);
    if (rule && 'anyVerifiedCaller' in rule) t.same(r.anyOf, [], `${r.operationId}: any listed caller`);
    else t.same([...r.anyOf].sort(), [...(rule?.anyOf ?? [])].sort(), `${r.operationId}: same permissions`);
  }
});

t.test('permission names are the authorization policy schema enum, plus forward:<connection>', async (t) => {
  const schema = JSON.parse(
    readFileSync(join(repositoryRoot, 'tokenizer-service', 'authorization-policy.schema.json'), 'utf8'),
  ) as {
    definitions: {
      principal: {
        properties: { permissions: { items: { anyOf: { enum?: string[]; pattern?: string }[] } } };
      };
    };
  };
  const [names, forward] = schema.definitions.principal.properties.permissions.items.anyOf;
  t.same([...tokenizerPermissions].sort(), [...(names?.enum ?? [])].sort());
  t.match(forwardRoute('payments').anyOf[0], new RegExp(forward?.pattern ?? '^$'));
});

t.test(
  'the tokenizer accepts the generated AUTHORIZATION_POLICY and maps the Lambda session to it',
  async (t) => {
    const policy = AuthorizationPolicy.parse(JSON.stringify(authorizationPolicy([orders])), 'test');
    // What API Gateway reports for the order function's role session.
    const session = 'arn:aws:sts::123456789012:assumed-role/tokenization-order-service-eu-west-1/order-fn';
    const caller = policy.callerFor(normalizePrincipalArn(session));
    t.equal(caller?.tenant, 'orders');
    t.same([...(caller?.permissions ?? [])].sort(), ['delete', 'detokenize', 'tokenize']);
  },
);

t.test(
  'the order service is granted exactly what it calls, and its role ARN is computed from its name',
  async (t) => {
    const names = new ResourceNames('tokenization');
    const client = orderServiceClient(names);
    t.same(
      client.calls.map((c) => `${c.method} ${c.path}`),
      [
        'POST /v1/tokens',
        'POST /v1/tokens/{token}/verify',
        'POST /v1/connections/payments/forward',
        'DELETE /v1/tokens/{token}',
      ],
    );
    t.same(
      [...client.permissions],
      ['tokenize', 'verify', 'forward:payments', 'delete'],
      'no detokenize of any kind, no metadata:read, no verify:reset',
    );
    // The tokenizer accepts the generated policy and gives the order role exactly these permissions.
    const policy = AuthorizationPolicy.parse(
      JSON.stringify({
        principals: [{ ...authorizationPolicy([orders]).principals[0], permissions: client.permissions }],
      }),
      'test',
    );
    const caller = policy.callerFor(orders.roleArn);
    if (!caller) throw new Error('the order role is in the policy');
    t.notOk(mayCall(caller, 'detokenize'), 'the tokenizer refuses it detokenize');
    t.ok(mayCall(caller, 'forward', { connection: 'payments' }), 'it may forward through payments');
    t.notOk(mayCall(caller, 'forward', { connection: 'other' }), 'and through no other connection');
    t.ok(mayCall(caller, 'verify'));
    t.notOk(mayCall(caller, 'resetVerifyLock'));
    const stack = new Stack();
    t.same(
      stack.resolve(client.roleArn),
      stack.resolve(`arn:${stack.partition}:iam::${stack.account}:role/${names.orderServiceRole}`),
    );
    t.same(
      routesFor(client).map((r) => `${r.method} ${r.path}`),
      [
        'POST /v1/tokens',
        'POST /v1/tokens/batch',
        'DELETE /v1/tokens/{token}',
        'POST /v1/tokens/{token}/verify',
        'POST /v1/connections/payments/forward',
        'GET /health/live',
        'GET /health/ready',
      ],
      'its permissions would allow the batch route and the probes too',
    );
  },
);

t.test('a client may not call a route its permissions do not allow', async (t) => {
  t.throws(() => assertRoutesAllowed(orders, [route('GET', '/v1/tokens/{token}')]), /do not allow/);
  t.doesNotThrow(() => assertRoutesAllowed(orders, [route('POST', '/v1/detokenize')]));
  t.doesNotThrow(() => assertRoutesAllowed(orders, [route('DELETE', '/v1/tokens/{token}')]));
  t.throws(() => route('PUT' as never, '/v1/tokens'), /No tokenizer route/);
  const payer: TokenizerPrincipal = { ...orders, permissions: ['forward:payments'], calls: [] };
  t.doesNotThrow(() => assertRoutesAllowed(payer, [forwardRoute('payments')]));
  t.throws(() => assertRoutesAllowed(payer, [forwardRoute('refunds')]), /do not allow/, 'another connection');
  t.throws(
    () => assertRoutesAllowed(payer, [route('POST', '/v1/connections/{connection}/forward')]),
    /do not allow/,
    'the forward route without a connection (any connection) is never allowed',
  );
  t.throws(() => forwardRoute('../x'), /Invalid connection/);
  const maskedOnly = { ...orders, permissions: ['detokenize:masked'] as const };
  t.ok(
    routesFor(maskedOnly).some((r) => r.operationId === 'detokenize'),
    'detokenize:masked reaches detokenize',
  );
});

t.test('deterministic tokenization is granted on its own, never implied by tokenize', async (t) => {
  const deterministicOnly: TokenizerPrincipal = {
    ...orders,
    name: 'matcher',
    roleArn: 'arn:aws:iam::123456789012:role/matcher',
    permissions: ['tokenize:deterministic'],
    calls: [route('POST', '/v1/tokens')],
  };
  t.same(
    routesFor(deterministicOnly).map((r) => r.operationId),
    ['tokenize', 'tokenizeBatch', 'live', 'ready'],
    'it reaches the tokenize routes, and nothing else',
  );
  // The generated AUTHORIZATION_POLICY, as the tokenizer reads it and applies it to request bodies.
  const policy = AuthorizationPolicy.parse(
    JSON.stringify(authorizationPolicy([orders, deterministicOnly])),
    't',
  );
  const orderService = policy.callerFor(orders.roleArn);
  const matcher = policy.callerFor(deterministicOnly.roleArn);
  if (!orderService || !matcher) throw new Error('both principals are in the policy');
  const deterministic = { value: 'x', deterministic: true };
  t.ok(mayCall(orderService, 'tokenize'));
  t.notOk(mayCallWith(orderService, 'tokenize', deterministic), 'tokenize alone: no deterministic token');
  t.notOk(mayCallWith(orderService, 'tokenizeBatch', { items: [{ value: 'x' }, deterministic] }));
  t.ok(mayCallWith(matcher, 'tokenize', deterministic));
  t.notOk(mayCallWith(matcher, 'tokenize', { value: 'x' }), 'and it does not imply tokenize');
  t.notOk(
    orderServiceClient(new ResourceNames('tokenization')).permissions.includes('tokenize:deterministic'),
    'the order service does not get it',
  );
});

t.test('the principal list is validated', async (t) => {
  t.throws(() => authorizationPolicy([]), /at least one principal/);
  t.throws(() => authorizationPolicy([orders, orders]), /Duplicate/);
  t.throws(() => authorizationPolicy([{ ...orders, tenant: 'Orders!' }]), /invalid tenant/);
  t.throws(() => authorizationPolicy([{ ...orders, permissions: [] }]), /no permissions/);
  t.throws(() => authorizationPolicy([{ ...orders, calls: [] }]), /calls no route/);
  t.throws(
    () => authorizationPolicy([{ ...orders, calls: [route('GET', '/v1/tokens/{token}')] }]),
    /do not allow/,
    'a call its permissions do not allow',
  );
});

t.test(
  'resource policy: endpoint deny, unlisted-principal deny, per-principal deny and allow of exactly the routes it calls',
  async (t) => {
    const stack = new Stack();
    const document = stack.resolve(
      tokenizerResourcePolicy({
        principals: [orders],
        vpcEndpointId: 'vpce-0123',
        stageName: 'prod',
      }).toJSON(),
    ) as {
      Statement: {
        Sid: string;
        Effect: string;
        Resource?: unknown;
        NotResource?: unknown;
        Condition: unknown;
      }[];
    };
    t.same(
      document.Statement.map((s) => `${s.Effect} ${s.Sid}`),
      [
        'Deny DenyUnlessThroughTheVpcEndpoint',
        'Deny DenyUnlistedPrincipals',
        'Deny DenyOrderServiceOutsideItsRoutes',
        'Allow AllowOrderService',
      ],
    );
    const [endpointDeny, principalDeny, routeDeny, allow] = document.Statement;
    t.same(endpointDeny?.Condition, { StringNotEquals: { 'aws:SourceVpce': 'vpce-0123' } });
    t.same(principalDeny?.Condition, { ArnNotEquals: { 'aws:PrincipalArn': [orders.roleArn] } });
    // Its calls only: not the batch route or the health probes its permissions would also allow.
    const allowed = [
      'execute-api:/prod/POST/v1/tokens',
      'execute-api:/prod/POST/v1/detokenize',
      'execute-api:/prod/DELETE/v1/tokens/*',
    ];
    t.same(routeDeny?.NotResource, allowed);
    t.same([...((allow?.Resource as string[] | undefined) ?? [])].sort(), [...allowed].sort());
    t.same(allow?.Condition, {
      StringEquals: { 'aws:SourceVpce': 'vpce-0123' },
      ArnEquals: { 'aws:PrincipalArn': orders.roleArn },
    });
    t.equal(
      resourcePolicyRouteArn('prod', route('GET', '/v1/tokens/{token}')),
      'execute-api:/prod/GET/v1/tokens/*',
    );
  },
);

t.test(
  'execute-api endpoint statements: each principal on the routes it calls, of any API in the account',
  async (t) => {
    const stack = new Stack();
    const [statement] = executeApiEndpointStatements({
      principals: [orders],
      stageName: 'prod',
      executeApiArnPrefix: 'arn:aws:execute-api:eu-west-1:123456789012',
    }).map((s) => stack.resolve(s.toStatementJson()) as { Resource: string[]; Condition: unknown });
    t.ok(
      statement?.Resource.includes('arn:aws:execute-api:eu-west-1:123456789012:*/prod/POST/v1/detokenize'),
    );
    t.ok(
      statement?.Resource.includes('arn:aws:execute-api:eu-west-1:123456789012:*/prod/DELETE/v1/tokens/*'),
      'path parameters as `*`',
    );
    t.equal(statement?.Resource.length, 3, 'its three calls, not the six routes its permissions allow');
    t.same(statement?.Condition, { ArnEquals: { 'aws:PrincipalArn': orders.roleArn } });
  },
);

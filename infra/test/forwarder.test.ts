// Forwarding in AWS (issue 15 item 6, docs/forwarding.md "In AWS"): a forwarder function of its own, in
// subnets with egress, on the forward route only, while the tokenizer stays isolated.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from 'aws-cdk-lib';
import t from 'tap';
import { forwarderVaultTableActions } from '../lib/table-access.js';
import {
  environmentOf,
  list,
  property,
  type Resource,
  render,
  renderString,
  resourcesOf,
  type Statement,
  statementsOf,
} from './helpers/cfn.js';
import { type Synthesized, synthesize } from './helpers/synth.js';

const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:payments-api-key-AbCdEf';
const otherSecretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:refunds-api-key-GhIjKl';
const directory = mkdtempSync(join(tmpdir(), 'forwarder-test-'));
// A readable `file:` secret, so only the AWS rule (ARNs only) can refuse it.
writeFileSync(join(directory, 'key.txt'), 'local-key\n');

function connectionsFile(name: string, connections: unknown[]): string {
  const file = join(directory, name);
  writeFileSync(file, JSON.stringify({ connections }));
  return file;
}

function connection(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    baseUrl: `https://${name}.example.com/v1`,
    routes: [{ method: 'POST', pathTemplate: '/charges' }],
    tokenPointers: ['/card/number'],
    ...extra,
  };
}

const configured = connectionsFile('connections.json', [
  connection('payments', { headers: { authorization: { secret: secretArn, format: 'Bearer {secret}' } } }),
  connection('refunds', { headers: { 'x-api-key': { secret: otherSecretArn } } }),
]);
const withContext = (context: Record<string, unknown>) => synthesize({ context });

// Each synthesis runs every cdk-nag pack: an unacknowledged finding throws here.
const without = synthesize();
const withForwarder = withContext({ 'tokenization:connectionsFile': configured });
const perAz = withContext({
  'tokenization:connectionsFile': configured,
  'tokenization:natGatewayPerAz': 'true',
});

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as never);
}

function ids(s: Synthesized) {
  const forwarder = s.stacks.tokenizer.forwarder;
  if (!forwarder) throw new Error('no forwarder');
  const stack = s.stacks.tokenizer;
  const roles = resourcesOf(s.tokenizer, 'AWS::IAM::Role').filter(([, r]) =>
    renderString(property(r, 'RoleName')).includes('-tokenizer-forwarder-'),
  );
  if (roles.length !== 1) throw new Error(`expected one forwarder role, found ${roles.length}`);
  return {
    forwarder: stack.getLogicalId(forwarder.function.function.node.defaultChild as never),
    tokenizer: logicalId(stack, stack.tokenizer.function),
    role: (roles[0] as [string, Resource])[0],
  };
}

function resource(s: Synthesized, template: 'network' | 'tokenizer', id: string): Resource {
  const found = resourcesOf(s[template]).find(([key]) => key === id);
  if (!found) throw new Error(`no resource ${id}`);
  return found[1];
}

function subnetIdsOf(s: Synthesized, functionId: string): string[] {
  const vpcConfig = property<{ SubnetIds: unknown[] }>(resource(s, 'tokenizer', functionId), 'VpcConfig');
  return vpcConfig.SubnetIds.map((id) => renderString(id));
}

/** The network's routes, by the subnet group of the route table they are in (`isolated`, `egress`, `nat`). */
function routesByGroup(s: Synthesized): Record<string, Resource[]> {
  const groups: Record<string, Resource[]> = {};
  for (const [, route] of resourcesOf(s.network, 'AWS::EC2::Route')) {
    const table = renderString(property(route, 'RouteTableId'));
    const group = /Vpc(isolated|egress|nat)Subnet/.exec(table)?.[1] ?? table;
    groups[group] = [...(groups[group] ?? []), route];
  }
  return groups;
}

function methods(s: Synthesized) {
  return resourcesOf(s.tokenizer, 'AWS::ApiGateway::Method').map(([, method]) => ({
    operation: property<string>(method, 'OperationName'),
    target: JSON.stringify(render(property<{ Uri: unknown }>(method, 'Integration').Uri)),
  }));
}

function keyPolicy(s: Synthesized): Statement[] {
  const [key] = resourcesOf(s.tokenizer, 'AWS::KMS::Key').filter(([, r]) =>
    String(property(r, 'Description')).startsWith('Token vault'),
  );
  if (!key) throw new Error('no vault key');
  return statementsOf(render(property(key[1], 'KeyPolicy')));
}

function principalsOf(statement: Statement): string[] {
  return list((statement.Principal as { AWS?: string | string[] } | undefined)?.AWS).map(String);
}

function endpointPolicy(s: Synthesized, service: string): Statement[] {
  const [endpoint] = resourcesOf(s.network, 'AWS::EC2::VPCEndpoint').filter(([, r]) =>
    JSON.stringify(property(r, 'ServiceName')).includes(service),
  );
  if (!endpoint) throw new Error(`no ${service} endpoint`);
  return statementsOf(render(property(endpoint[1], 'PolicyDocument')));
}

t.test('without connections: no forwarder, no forward route, no route out of the VPC', async (t) => {
  t.equal(without.stacks.tokenizer.forwarder, undefined);
  t.notOk(
    methods(without).some((m) => m.operation === 'forward'),
    'the API has no forward method',
  );
  t.ok(methods(without).length > 0);
  t.same(resourcesOf(without.network, 'AWS::EC2::NatGateway'), [], 'no NAT gateway');
  t.same(resourcesOf(without.network, 'AWS::EC2::InternetGateway'), [], 'no internet gateway');
  t.same(resourcesOf(without.network, 'AWS::EC2::Route'), [], 'no route at all');
  t.notOk(JSON.stringify(without.tokenizer.toJSON()).includes('tokenizer-forwarder'), 'no forwarder role');
  t.notOk(
    keyPolicy(without).some((s) => s.Sid === 'ForwarderDecryptsVaultValues'),
    'the key policy names no forwarder',
  );
});

t.test('an empty connections list creates no forwarder either', async (t) => {
  const empty = withContext({ 'tokenization:connectionsFile': connectionsFile('empty.json', []) });
  t.equal(empty.stacks.tokenizer.forwarder, undefined);
  t.same(resourcesOf(empty.network, 'AWS::EC2::NatGateway'), []);
});

t.test('connections the tokenizer would refuse fail the synth', async (t) => {
  const cases: [string, unknown[], RegExp][] = [
    ['http.json', [connection('payments', { baseUrl: 'http://payments.example.com' })], /must be https/],
    [
      'file-secret.json',
      [connection('payments', { headers: { 'x-api-key': { secret: 'file:key.txt' } } })],
      /in AWS a secret must be a Secrets Manager secret ARN/,
    ],
    ['bad-schema.json', [{ name: 'payments' }], /Invalid connections/],
  ];
  for (const [name, connections, message] of cases) {
    t.throws(
      () => withContext({ 'tokenization:connectionsFile': connectionsFile(name, connections) }),
      message,
      name,
    );
  }
  t.throws(
    () => withContext({ 'tokenization:connectionsFile': join(directory, 'missing.json') }),
    /cannot be read as JSON/,
  );
});

t.test('the forwarder runs in the egress subnets; the tokenizer stays isolated', async (t) => {
  const { forwarder, tokenizer } = ids(withForwarder);
  const forwarderSubnets = subnetIdsOf(withForwarder, forwarder);
  t.equal(forwarderSubnets.length, 2, 'one egress subnet per AZ');
  t.ok(
    forwarderSubnets.every((id) => /VpcegressSubnet/.test(id)),
    forwarderSubnets.join(', '),
  );
  const tokenizerSubnets = subnetIdsOf(withForwarder, tokenizer);
  t.ok(
    tokenizerSubnets.every((id) => /VpcisolatedSubnet/.test(id)),
    tokenizerSubnets.join(', '),
  );

  const routes = routesByGroup(withForwarder);
  t.notOk(routes.isolated, 'the isolated subnets have no route: no NAT, no internet gateway');
  const egress = routes.egress ?? [];
  t.equal(egress.length, 2);
  t.ok(
    egress.every((r) => r.Properties?.NatGatewayId !== undefined && r.Properties?.GatewayId === undefined),
    'egress subnets go out through NAT only',
  );
  t.equal(resourcesOf(withForwarder.network, 'AWS::EC2::NatGateway').length, 1, 'one NAT gateway by default');
  t.equal(resourcesOf(perAz.network, 'AWS::EC2::NatGateway').length, 2, 'one per AZ on request');
  for (const [, subnet] of resourcesOf(withForwarder.network, 'AWS::EC2::Subnet')) {
    t.equal(subnet.Properties?.MapPublicIpOnLaunch, false, 'no subnet hands out public addresses');
  }

  const env = environmentOf(resource(withForwarder, 'tokenizer', forwarder));
  const tokenizerEnv = environmentOf(resource(withForwarder, 'tokenizer', tokenizer));
  t.equal(env.CONNECTIONS_FILE, '/var/task/connections.json');
  t.notOk('CONNECTIONS_FILE' in tokenizerEnv, 'the tokenizer knows no connection');
  t.same({ ...env, CONNECTIONS_FILE: undefined }, { ...tokenizerEnv, CONNECTIONS_FILE: undefined });
});

t.test('the forward route integrates with the forwarder, every other route with the tokenizer', async (t) => {
  const { forwarder, tokenizer } = ids(withForwarder);
  const all = methods(withForwarder);
  const forward = all.filter((m) => m.operation === 'forward');
  t.equal(forward.length, 1);
  t.match(forward[0]?.target, `\${${forwarder}.Arn}`);
  const others = all.filter((m) => m.operation !== 'forward');
  t.ok(others.length >= 9, `${others.length} other routes`);
  for (const method of others) {
    t.ok(method.target.includes(`\${${tokenizer}.Arn}`), `${method.operation} → tokenizer`);
    t.notOk(method.target.includes(forwarder), `${method.operation} not → forwarder`);
  }
  // API Gateway may invoke the forwarder for the forward method only.
  const permissions = resourcesOf(withForwarder.tokenizer, 'AWS::Lambda::Permission').filter(([, p]) =>
    JSON.stringify(render(property(p, 'FunctionName'))).includes(forwarder),
  );
  t.ok(permissions.length > 0);
  for (const [, permission] of permissions) {
    t.match(renderString(property(permission, 'SourceArn')), /\/POST\/v1\/connections\/\*\/forward$/);
  }
});

t.test('the forwarder role holds only what forwarding needs', async (t) => {
  const { role } = ids(withForwarder);
  const policies = resourcesOf(withForwarder.tokenizer, 'AWS::IAM::ManagedPolicy').filter(([, p]) =>
    JSON.stringify(property(p, 'Roles')).includes(role),
  );
  t.equal(policies.length, 1, 'one managed policy');
  t.same(
    resourcesOf(withForwarder.tokenizer, 'AWS::IAM::Policy').filter(([, p]) =>
      JSON.stringify(p.Properties?.Roles ?? []).includes(role),
    ),
    [],
    'no inline policy',
  );
  const role_ = resource(withForwarder, 'tokenizer', role);
  t.equal(role_.Properties?.ManagedPolicyArns, undefined, 'no AWS managed policy');
  const statements = statementsOf(render(property((policies[0] as [string, Resource])[1], 'PolicyDocument')));
  const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
  t.same(Object.keys(bySid).sort(), [
    'ManageVpcNetworkInterfaces',
    'ReadAndSpendVaultItems',
    'ReadBranchKeys',
    'ReadConnectionSecrets',
    'WriteOwnLogs',
    'WriteTraces',
  ]);
  t.same(list(bySid.ReadAndSpendVaultItems?.Action).sort(), [...forwarderVaultTableActions].sort());
  t.match(renderString(bySid.ReadAndSpendVaultItems?.Resource), /:table\/tokenization-token-vault$/);
  t.same(list(bySid.ReadBranchKeys?.Action), ['dynamodb:GetItem'], 'branch keys: GetItem only');
  t.match(renderString(bySid.ReadBranchKeys?.Resource), /:table\/tokenization-branch-key-store$/);
  t.same(list(bySid.ReadConnectionSecrets?.Action), ['secretsmanager:GetSecretValue']);
  t.same(list(bySid.ReadConnectionSecrets?.Resource).sort(), [secretArn, otherSecretArn].sort(), 'exactly');
  t.notOk(
    statements.some((s) => list(s.Action).some((a) => a.startsWith('kms:'))),
    'KMS only through the key policy',
  );
  const tokenizerLogs = logicalId(
    withForwarder.stacks.tokenizer,
    withForwarder.stacks.tokenizer.tokenizer.function.logGroup as never,
  );
  t.ok(
    renderString(bySid.WriteOwnLogs?.Resource).includes(tokenizerLogs),
    'the tokenizer log group (audit trail)',
  );
});

t.test('without secrets, the role has no Secrets Manager statement at all', async (t) => {
  const file = connectionsFile('no-secrets.json', [connection('payments')]);
  const s = withContext({ 'tokenization:connectionsFile': file });
  t.notOk(JSON.stringify(s.tokenizer.toJSON()).includes('secretsmanager:'));
});

t.test('the vault key lets the forwarder decrypt vault values only, through the KMS endpoint', async (t) => {
  const { role } = ids(withForwarder);
  const forwarderArn = `\${${role}.Arn}`;
  const statements = keyPolicy(withForwarder);
  const naming = statements.filter((s) => principalsOf(s).includes(forwarderArn));
  t.same(naming.map((s) => s.Sid).sort(), ['ForwarderDecryptsVaultValues', 'TableEncryptionThroughDynamoDb']);
  const direct = naming.find((s) => s.Sid === 'ForwarderDecryptsVaultValues');
  t.same(list(direct?.Action), ['kms:Decrypt']);
  t.equal(direct?.Condition?.StringEquals?.['kms:EncryptionContext:purpose'], 'token-vault');
  t.ok(direct?.Condition?.StringEquals?.['aws:SourceVpce'], 'through the KMS endpoint');
  t.same(direct?.Condition?.['ForAllValues:StringEquals']?.['kms:EncryptionContextKeys'], [
    'purpose',
    'tenant',
  ]);
  const viaDynamoDb = naming.find((s) => s.Sid === 'TableEncryptionThroughDynamoDb');
  t.match(JSON.stringify(viaDynamoDb?.Condition), /kms:ViaService/);
  // Usable only by the tokenizer's roles: no other role of the stack is named for cryptographic use.
  const crypto = /^kms:(Encrypt|Decrypt|ReEncrypt.*|GenerateDataKey.*|\*)$/;
  const roleArns = new Set(
    resourcesOf(withForwarder.tokenizer, 'AWS::IAM::Role').map(([id]) => `\${${id}.Arn}`),
  );
  const users = statements
    .filter((s) => list(s.Action).some((a) => crypto.test(a)))
    .flatMap(principalsOf)
    .filter((p) => roleArns.has(p));
  const tokenizerRole = logicalId(
    withForwarder.stacks.tokenizer,
    withForwarder.stacks.tokenizer.tokenizerRole.role,
  );
  const tenantKeyAdministrator = logicalId(
    withForwarder.stacks.tokenizer,
    withForwarder.stacks.tokenizer.tenantKeyAdministratorRole.role,
  );
  t.same(
    [...new Set(users)].sort(),
    [forwarderArn, `\${${tokenizerRole}.Arn}`, `\${${tenantKeyAdministrator}.Arn}`].sort(),
    "only the tokenizer's roles and the tenant key administrator (legacy items: test/key-store.test.ts)",
  );
});

t.test('the VPC endpoints admit the forwarder for forwarding only', async (t) => {
  const forwarderRole = /tokenizer-forwarder-/;
  const forwarderStatements = (service: string) =>
    endpointPolicy(withForwarder, service).filter((s) => forwarderRole.test(JSON.stringify(s.Condition)));
  const kms = forwarderStatements('kms');
  t.equal(kms.length, 1);
  t.same(list(kms[0]?.Action), ['kms:Decrypt']);
  const dynamoDb = forwarderStatements('dynamodb');
  t.same(dynamoDb.map((s) => s.Sid).sort(), [
    'ForwarderReadsAndSpendsVaultItems',
    'ForwarderReadsBranchKeys',
  ]);
  const vault = dynamoDb.find((s) => s.Sid === 'ForwarderReadsAndSpendsVaultItems');
  t.same(list(vault?.Action).sort(), [...forwarderVaultTableActions].sort());
  t.match(renderString(vault?.Resource), /:table\/tokenization-token-vault$/);
  const branchKeys = dynamoDb.find((s) => s.Sid === 'ForwarderReadsBranchKeys');
  t.same(list(branchKeys?.Action), ['dynamodb:GetItem']);
  t.match(renderString(branchKeys?.Resource), /:table\/tokenization-branch-key-store$/);
  // The tokenizer's callers reach the API through execute-api; the forwarder is not one of them.
  t.equal(forwarderStatements('execute-api').length, 0);
  // The DynamoDB gateway endpoint serves the egress subnets too, so vault reads stay off the NAT.
  const [, gateway] = resourcesOf(withForwarder.network, 'AWS::EC2::VPCEndpoint').find(([, r]) =>
    JSON.stringify(property(r, 'ServiceName')).includes('dynamodb'),
  ) as [string, Resource];
  const tables = JSON.stringify(property(gateway, 'RouteTableIds'));
  t.match(tables, /VpcegressSubnet1RouteTable/);
  t.match(tables, /VpcisolatedSubnet1RouteTable/);
});

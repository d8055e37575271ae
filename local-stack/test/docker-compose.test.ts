import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { DeleteTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-aws/test-support/dynamodb';
import {
  loadConfig as loadOrderConfig,
  configVariables as orderVariables,
} from '@tokenization/order-service/config';
import { orderTableDefinition, orderTimeToLiveAttribute } from '@tokenization/order-service/order-table';
import { keyStoreTableDefinition } from '@tokenization/tokenizer-service/adapters/key-store-table';
import {
  loadConfig as loadTokenizerConfig,
  configVariables as tokenizerVariables,
} from '@tokenization/tokenizer-service/config';
import t from 'tap';
import { parse } from 'yaml';
import { repositoryRoot } from '../src/stack/local-stack.js';

// Read by the AWS SDK's default credential chain, not by the services' own config.
const sdkVariables = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
// Read by the tokenizer's config by name pattern: a connection's base URL (CONNECTION_<NAME>_BASE_URL).
const connectionBaseUrl = /^CONNECTION_[A-Z0-9_]+_BASE_URL$/;

interface ComposeFile {
  services: Record<
    string,
    {
      environment?: Record<string, string>;
      build?: { dockerfile?: string; args?: Record<string, string> };
      entrypoint?: string[];
      volumes?: string[];
      network_mode?: string;
      ports?: string[];
      depends_on?: Record<string, { condition: string }>;
    }
  >;
}

const composeFile = `${repositoryRoot}docker-compose.yml`;
// `${VAR:-default}` as docker-compose substitutes it with VAR unset.
const substituted = (value: string) => String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

t.test('every variable a service container gets is one its config accepts', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const services = [
    ['tokenizer', tokenizerVariables, loadTokenizerConfig],
    ['orders', orderVariables, loadOrderConfig],
  ] as const;
  for (const [name, variables, loadConfig] of services) {
    const environment = Object.fromEntries(
      Object.entries(compose.services[name]?.environment ?? {}).map(([key, value]) => [
        key,
        substituted(value),
      ]),
    );
    t.ok(compose.services[name]?.build, `${name} is built from its Dockerfile`);
    const unknown = Object.keys(environment).filter(
      (key) =>
        !variables.includes(key) &&
        !sdkVariables.includes(key) &&
        !(name === 'tokenizer' && connectionBaseUrl.test(key)),
    );
    t.same(unknown, [], `${name}: no variable its config does not read`);
    t.doesNotThrow(() => loadConfig(environment), `${name}: its config accepts the values`);
  }
});

t.test('the tokenizer forwards payments to the processor stand-in on its own loopback', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const processor = compose.services['payment-processor'];
  const tokenizer = compose.services.tokenizer;
  t.same(
    processor?.build?.args,
    { SERVICE: 'local-aws', ENTRY: 'src/payment-processor/main.ts', PORT: '4600' },
    'built from the same Dockerfile, running its main',
  );
  t.equal(processor?.network_mode, 'service:tokenizer', "in the tokenizer's network namespace");
  const port = processor?.environment?.PAYMENT_PROCESSOR_PORT;
  t.equal(tokenizer?.environment?.CONNECTION_PAYMENTS_BASE_URL, `http://127.0.0.1:${port}`);
  t.equal(tokenizer?.environment?.CONNECTIONS_FILE, '/config/connections.json');
  t.ok(
    tokenizer?.ports?.includes(`127.0.0.1:${port}:${port}`),
    "its port published by the tokenizer's service",
  );
  t.equal(
    processor?.environment?.PAYMENT_PROCESSOR_API_KEY_FILE,
    '/config/payment-processor-api-key',
    'the dev-only key the connection sends',
  );
});

t.test('the order service signs with the local credentials of its principal', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const credentials = JSON.parse(
    await readFile(`${repositoryRoot}local-aws/config/sigv4-credentials.json`, 'utf8'),
  ) as { accessKeyId: string; secretAccessKey: string; principalArn: string }[];
  const orders = credentials.find((credential) => credential.principalArn.endsWith(':role/order-service'));
  const environment = compose.services.orders?.environment ?? {};
  t.equal(substituted(environment.AWS_ACCESS_KEY_ID ?? ''), orders?.accessKeyId);
  t.equal(substituted(environment.AWS_SECRET_ACCESS_KEY ?? ''), orders?.secretAccessKey);
});

const composeInstalled = await promisify(execFile)('docker-compose', ['version']).then(
  () => true,
  () => false,
);

// .ci/run installs Debian's docker-compose; a developer machine may not have it.
t.test(
  'docker-compose validates the file',
  { skip: composeInstalled ? false : 'docker-compose is not installed' },
  async (t) => {
    await t.resolves(
      promisify(execFile)('docker-compose', ['-f', composeFile, 'config', '-q']),
      'config -q passes',
    );
  },
);

const initScript = `${repositoryRoot}local-stack/compose/init.sh`;
const orderTableFile = `${repositoryRoot}local-stack/compose/order-table.json`;
const keyStoreTableFile = `${repositoryRoot}local-stack/compose/key-store-table.json`;
const onboardingScript = `${repositoryRoot}local-stack/compose/onboard-tenants.sh`;

/** The key ids of kms-seed.yaml (nsmithuk/local-kms's seed format). */
async function seededKeyIds(): Promise<string[]> {
  const seed = parse(await readFile(`${repositoryRoot}local-stack/compose/kms-seed.yaml`, 'utf8')) as {
    Keys: { Symmetric: { Aes: { Metadata: { KeyId: string }; BackingKeys: string[] }[] } };
  };
  return seed.Keys.Symmetric.Aes.map((key) => key.Metadata.KeyId);
}

t.test('the key store: its table made by init, its KMS key seeded, read by the tokenizer', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const init = compose.services.init;
  const tokenizer = compose.services.tokenizer?.environment ?? {};
  const tableName = init?.environment?.KEY_STORE_TABLE_NAME ?? '';
  t.equal(tableName, tokenizer.KEY_STORE_TABLE_NAME, 'init makes the table the tokenizer reads');
  t.ok(
    init?.volumes?.includes('./local-stack/compose/key-store-table.json:/init/key-store-table.json:ro'),
    'the definition is mounted beside init.sh',
  );
  t.same(
    JSON.parse(await readFile(keyStoreTableFile, 'utf8')),
    keyStoreTableDefinition(tableName),
    'key-store-table.json is key-store-table.ts',
  );
  t.match(
    await readFile(initScript, 'utf8'),
    /create_from "\$KEY_STORE_TABLE_NAME" "\$here\/key-store-table.json"/,
  );
  const keyIdOf = (arn = '') => arn.split(':key/')[1];
  const seeded = await seededKeyIds();
  t.ok(seeded.includes(keyIdOf(tokenizer.KMS_KEY_ARN) ?? ''), 'the vault key is seeded');
  t.ok(seeded.includes(keyIdOf(tokenizer.BRANCH_KEY_KMS_KEY_ARN) ?? ''), 'the branch key KMS key is seeded');
  t.not(tokenizer.BRANCH_KEY_KMS_KEY_ARN, tokenizer.KMS_KEY_ARN, 'a key of its own');
});

t.test('the tenants step onboards with the admin CLI, after init and before the tokenizer', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const tenants = compose.services.tenants;
  const args = tenants?.build?.args ?? {};
  t.equal(args.SERVICE, 'tokenizer-service', "built from the tokenizer's workspace");
  await t.resolves(
    access(`${repositoryRoot}${args.SERVICE}/${args.ENTRY}`),
    `its entry ${args.ENTRY} exists`,
  );
  t.match(args.ENTRY, /^src\/admin\//, 'the admin CLI');
  t.same(tenants?.depends_on?.init, { condition: 'service_completed_successfully' }, 'after the tables');
  t.same(
    compose.services.tokenizer?.depends_on?.tenants,
    { condition: 'service_completed_successfully' },
    'the tokenizer starts once the tenants exist',
  );
  const environment = tenants?.environment ?? {};
  const tokenizer = compose.services.tokenizer?.environment ?? {};
  for (const name of [
    'AWS_REGION',
    'TOKEN_VAULT_TABLE_NAME',
    'KMS_KEY_ARN',
    'KEY_STORE_TABLE_NAME',
    'BRANCH_KEY_KMS_KEY_ARN',
    'KEY_STORE_LOGICAL_NAME',
    'DYNAMODB_ENDPOINT',
    'KMS_ENDPOINT',
  ])
    t.equal(environment[name], tokenizer[name], `${name} is the tokenizer's`);
  t.same(tenants?.entrypoint, ['/bin/sh', '/init/onboard-tenants.sh']);
  t.ok(tenants?.volumes?.includes('./local-stack/compose/onboard-tenants.sh:/init/onboard-tenants.sh:ro'));
  const policyFile = environment.POLICY_FILE ?? '';
  t.ok(
    tenants?.volumes?.some(
      (volume) => volume === `./local-aws/config:${policyFile.replace(/\/[^/]+$/, '')}:ro`,
    ),
    'the local policy is mounted where POLICY_FILE points',
  );
  t.equal(policyFile.split('/').pop(), 'authorization-policy.json');
  t.match(await readFile(onboardingScript, 'utf8'), /tenants create "\$tenant"/);
});

t.test('the init container creates the order table the service defines, keyed by owner', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const init = compose.services.init;
  const tableName = init?.environment?.ORDER_TABLE_NAME ?? '';
  t.equal(tableName, compose.services.orders?.environment?.ORDER_TABLE_NAME, 'the table the service uses');
  t.ok(
    init?.volumes?.includes('./local-stack/compose/order-table.json:/init/order-table.json:ro'),
    'the definition is mounted beside init.sh',
  );
  t.same(
    JSON.parse(await readFile(orderTableFile, 'utf8')),
    orderTableDefinition(tableName),
    'order-table.json is order-table.ts',
  );
  t.match(
    await readFile(initScript, 'utf8'),
    `AttributeName=${orderTimeToLiveAttribute}`,
    'its TTL attribute',
  );
});

const awsCliInstalled = await promisify(execFile)('aws', ['--version']).then(
  () => true,
  () => false,
);

// The init container runs the AWS CLI; a developer machine or CI may not have it.
t.test(
  'init.sh run against DynamoDB Local: the order and key store tables have the keys their modules define',
  { skip: awsCliInstalled ? false : 'the AWS CLI is not installed' },
  async (t) => {
    const tables = {
      vault: uniqueTableName('compose-vault'),
      orders: uniqueTableName('compose-orders'),
      keyStore: uniqueTableName('compose-key-store'),
    };
    const dynamoDb = testDynamoDbClient();
    t.teardown(async () => {
      for (const TableName of Object.values(tables)) {
        await dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      }
      dynamoDb.destroy();
    });
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DYNAMODB_ENDPOINT: testDynamoDbEndpoint(),
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      TOKEN_VAULT_TABLE_NAME: tables.vault,
      ORDER_TABLE_NAME: tables.orders,
      KEY_STORE_TABLE_NAME: tables.keyStore,
    };
    await promisify(execFile)('sh', [initScript], { env });
    for (const expected of [orderTableDefinition(tables.orders), keyStoreTableDefinition(tables.keyStore)]) {
      const { Table } = await dynamoDb.send(new DescribeTableCommand({ TableName: expected.TableName }));
      t.same(Table?.KeySchema, expected.KeySchema, `${expected.TableName}: its key`);
      t.same(Table?.AttributeDefinitions, expected.AttributeDefinitions);
    }
    await t.resolves(promisify(execFile)('sh', [initScript], { env }), 'a second run leaves the tables be');
  },
);

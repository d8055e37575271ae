// docker-compose's `tenants` step (local-stack/compose/onboard-tenants.sh) run here against DynamoDB Local
// and the local KMS stand-in, with the admin CLI's source entry in place of the image's bundle.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DeleteTableCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startLocalKms } from '@tokenization/local-aws/local-kms';
import {
  testDynamoDbClient,
  testDynamoDbEndpoint,
  uniqueTableName,
} from '@tokenization/local-aws/test-support/dynamodb';
import { keyStoreTableDefinition } from '@tokenization/tokenizer-service/adapters/key-store-table';
import { vaultTableDefinition } from '@tokenization/tokenizer-service/vault-table';
import t from 'tap';
import { adminEntry, runAdmin, vaultEnvironment } from '../src/stack/admin-cli.js';
import { repositoryRoot } from '../src/stack/local-stack.js';

const script = join(repositoryRoot, 'local-stack/compose/onboard-tenants.sh');

t.test('onboard-tenants.sh onboards each tenant of the policy once; a second run keeps them', async (t) => {
  const dynamoDb = testDynamoDbClient();
  const tables = { vault: uniqueTableName('onboard-vault'), keyStore: uniqueTableName('onboard-keys') };
  await dynamoDb.send(new CreateTableCommand(vaultTableDefinition(tables.vault)));
  await dynamoDb.send(new CreateTableCommand(keyStoreTableDefinition(tables.keyStore)));
  const kms = await startLocalKms({ keys: 2 });
  t.teardown(async () => {
    await kms.close();
    for (const TableName of Object.values(tables)) {
      await dynamoDb.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
    }
    dynamoDb.destroy();
  });
  const policyFile = join(t.testdir(), 'authorization-policy.json');
  const role = (name: string) => `arn:aws:iam::000000000000:role/${name}`;
  await writeFile(
    policyFile,
    JSON.stringify({
      principals: [
        { arn: role('one'), tenant: 'acme', permissions: ['tokenize'] },
        { arn: role('two'), tenant: 'acme', permissions: ['detokenize'] },
        { arn: role('three'), tenant: 'globex', permissions: ['tokenize'] },
      ],
    }),
  );
  const admin = vaultEnvironment({
    Region: 'us-east-1',
    TokenVaultTableName: tables.vault,
    KmsKeyArn: kms.keys[0]?.arn as string,
    KeyStoreTableName: tables.keyStore,
    BranchKeyKmsKeyArn: kms.keys[1]?.arn as string,
    DynamoDBEndpoint: testDynamoDbEndpoint(),
    KmsEndpoint: kms.endpoint,
  });
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...admin,
    POLICY_FILE: policyFile,
    ADMIN_CLI: join(repositoryRoot, adminEntry),
    NODE_OPTIONS: '--import tsx',
  };
  const run = () => promisify(execFile)('sh', [script], { env, cwd: repositoryRoot });

  await run();
  const listed = await runAdmin(['tenants', 'list', '--json'], admin);
  const records = JSON.parse(listed.stdout.join('\n')) as { tenant: string; status: string }[];
  t.same(
    records.map(({ tenant, status }) => [tenant, status]).sort(),
    [
      ['acme', 'active'],
      ['globex', 'active'],
    ],
    'each tenant once, active',
  );
  for (const tenant of ['acme', 'globex']) {
    const { Count } = await dynamoDb.send(
      new QueryCommand({
        TableName: tables.keyStore,
        KeyConditionExpression: '#id = :id',
        ExpressionAttributeNames: { '#id': 'branch-key-id' },
        ExpressionAttributeValues: { ':id': { S: `tenant-${tenant}` } },
      }),
    );
    t.ok((Count ?? 0) > 0, `the branch key of ${tenant} is in the key store`);
  }

  const again = await run();
  t.match(again.stdout, /tenant acme exists/, 'a second run leaves an existing tenant be');
  t.match(again.stdout, /tenant globex exists/);
});

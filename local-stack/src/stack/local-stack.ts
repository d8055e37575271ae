import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type ChildService, startChildService, waitUntil } from '@tokenization/local-aws/child-service';
import {
  seededAppClientId,
  seededUserPoolId,
  startCognitoLocal,
} from '@tokenization/local-aws/cognito-local';
import { type DynamoDbLocal, startDynamoDbLocal } from '@tokenization/local-aws/dynamodb-local';
import { type LocalKms, startLocalKms } from '@tokenization/local-aws/local-kms';
import { type PaymentProcessor, startPaymentProcessor } from '@tokenization/local-aws/payment-processor';
import { readPaymentProcessorApiKey } from '@tokenization/local-aws/payment-processor-api-key';
import { orderTableDefinition, orderTimeToLiveAttribute } from '@tokenization/order-service/order-table';
import { keyStoreTableDefinition } from '@tokenization/tokenizer-service/adapters/key-store-table';
import { vaultTableDefinition, vaultTtlAttribute } from '@tokenization/tokenizer-service/vault-table';
import { onboardTenants, policyTenants, vaultEnvironment } from './admin-cli.js';
import type { LocalStackSettings } from './settings.js';
import { type Credentials, signedFetch } from './signed-fetch.js';

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const outputsFile = join(repositoryRoot, '.local-stack/outputs.json');
const configDirectory = join(repositoryRoot, 'local-aws/config');
export const sigv4CredentialsFile = join(configDirectory, 'sigv4-credentials.json');
export const authorizationPolicyFile = join(configDirectory, 'authorization-policy.json');
/** The tokenizer's forwarding connections; `payments` points at the payment processor stand-in. */
export const connectionsFile = join(configDirectory, 'connections.json');

/** The output keys the CDK stacks export, plus the local endpoints. */
export interface LocalStackOutputs {
  PaymentMethodApiURL: string;
  TokenizerApiUrl: string;
  UserPoolAppClientId: string;
  UserPoolId: string;
  Region: string;
  CustomerOrderTableName: string;
  TokenVaultTableName: string;
  KmsKeyArn: string;
  /** The branch key store table (one branch key per tenant). */
  KeyStoreTableName: string;
  /** The local KMS stand-in's second key: it protects the branch keys. */
  BranchKeyKmsKeyArn: string;
  DynamoDBEndpoint: string;
  KmsEndpoint: string;
  CognitoEndpoint: string;
  /** The payment processor stand-in, the destination of the tokenizer's `payments` connection. */
  PaymentProcessorUrl: string;
}

export interface LocalStack {
  outputs: LocalStackOutputs;
  kms: LocalKms;
  /** The payment processor stand-in (in this process): its ledger and fault switch. */
  paymentProcessor: PaymentProcessor;
  /** Ids of the parts that run as processes (the benchmark reads their CPU time from /proc). */
  pids: Record<'dynamoDb' | 'cognito' | 'tokenizer' | 'orders', number | undefined>;
  /** Resolves with the part's name if a child process exits while the stack runs. */
  exited: Promise<string>;
  /** The local policy's tenants onboarded by this start, and those kept from an earlier one. */
  tenants: { created: string[]; existing: string[] };
  stop(): Promise<void>;
}

interface LocalCredential extends Credentials {
  principalArn: string;
}

/** Local SigV4 credentials of a principal of the local authorization policy (dev-only keys). */
export async function localCredentials(role: string): Promise<Credentials> {
  const all = JSON.parse(await readFile(sigv4CredentialsFile, 'utf8')) as LocalCredential[];
  const found = all.find((credential) => credential.principalArn.endsWith(`:role/${role}`));
  if (!found) throw new Error(`no local credentials for role ${role} in ${sigv4CredentialsFile}`);
  return { accessKeyId: found.accessKeyId, secretAccessKey: found.secretAccessKey };
}

/**
 * Starts the whole stack on loopback: DynamoDB Local, the local KMS and the payment processor stand-in (in
 * this process), cognito-local, the tokenizer and the order service (child processes running their
 * `server.ts`). Every tenant of the local authorization policy is onboarded (branch key and tenant record)
 * before the tokenizer starts. Stops what it started if any part fails to come up.
 */
export async function startLocalStack(
  settings: LocalStackSettings,
  onLine: (name: string, line: string) => void = () => {},
): Promise<LocalStack> {
  const { host, region, ports, tables } = settings;
  const stoppers: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const stopPart of stoppers.reverse()) await stopPart().catch(() => {});
  };
  try {
    const dataDirectory = settings.dataDirectory
      ? resolve(settings.dataDirectory)
      : await mkdtemp(join(tmpdir(), 'local-stack-'));
    if (!settings.dataDirectory) stoppers.push(() => rm(dataDirectory, { recursive: true, force: true }));
    await mkdir(join(dataDirectory, 'dynamodb'), { recursive: true });

    const dynamo: DynamoDbLocal = await startDynamoDbLocal({
      host,
      port: ports.dynamoDb,
      ...(settings.dataDirectory ? { dbPath: join(dataDirectory, 'dynamodb') } : {}),
    });
    stoppers.push(() => dynamo.stop());
    await createTables(dynamo.endpoint, region, [
      [vaultTableDefinition(tables.vault), vaultTtlAttribute],
      [orderTableDefinition(tables.orders), orderTimeToLiveAttribute],
      [keyStoreTableDefinition(tables.keyStore)],
    ]);

    // On disk, the key material must survive restarts or the vault's ciphertexts become unreadable. Two
    // keys: the vault key (the legacy format) and the key protecting the branch keys.
    const kms = await startLocalKms({
      host,
      port: ports.kms,
      region,
      keys: 2,
      ...(settings.dataDirectory ? { keyMaterialFile: join(dataDirectory, 'kms-keys.json') } : {}),
    });
    stoppers.push(() => kms.close());

    const cognito = await startCognitoLocal({ host, port: ports.cognito, dataDirectory, onLine });
    stoppers.push(() => cognito.stop());

    // Its ledger lives in memory (charges are not kept with --persist); it logs brand and last four only.
    const paymentProcessor = await startPaymentProcessor({
      host,
      port: ports.paymentProcessor ?? 0,
      apiKey: await readPaymentProcessorApiKey(),
      log: (entry) => onLine('payment-processor', JSON.stringify(entry)),
    });
    stoppers.push(() => paymentProcessor.close());

    const outputs: LocalStackOutputs = {
      PaymentMethodApiURL: `http://${host}:${ports.orders}`,
      TokenizerApiUrl: `http://${host}:${ports.tokenizer}`,
      UserPoolAppClientId: seededAppClientId,
      UserPoolId: seededUserPoolId,
      Region: region,
      CustomerOrderTableName: tables.orders,
      TokenVaultTableName: tables.vault,
      KmsKeyArn: kms.keyArn,
      KeyStoreTableName: tables.keyStore,
      BranchKeyKmsKeyArn: (kms.keys[1] as { arn: string }).arn, // started with two keys (the file grows to two)
      DynamoDBEndpoint: dynamo.endpoint,
      KmsEndpoint: kms.endpoint,
      CognitoEndpoint: cognito.endpoint,
      PaymentProcessorUrl: paymentProcessor.url,
    };

    // Before the tokenizer starts: it would cache a tenant's absence for TENANT_STATE_CACHE_SECONDS.
    const tenants = await onboardTenants(
      await policyTenants(authorizationPolicyFile),
      vaultEnvironment(outputs),
    );

    const tokenizer = startService('tokenizer', tokenizerEntry, onLine, {
      ...tokenizerEnvironment(outputs, host, ports.tokenizer),
      ...settings.tokenizerEnvironment,
    });
    stoppers.push(() => tokenizer.stop());

    const orderCredentials = await localCredentials('order-service');
    const orders = startService('orders', 'order-service/src/server.ts', onLine, {
      AWS_REGION: region,
      // The order service signs its tokenizer calls with the default credential chain: these keys.
      AWS_ACCESS_KEY_ID: orderCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: orderCredentials.secretAccessKey,
      ORDER_TABLE_NAME: tables.orders,
      TOKENIZER_API_URL: outputs.TokenizerApiUrl,
      COGNITO_USER_POOL_ID: seededUserPoolId,
      COGNITO_CLIENT_ID: seededAppClientId,
      COGNITO_ENDPOINT: cognito.endpoint,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      ORDER_HOST: host,
      ORDER_PORT: String(ports.orders),
    });
    stoppers.push(() => orders.stop());

    await Promise.all([
      waitUntil(
        'the tokenizer',
        async () =>
          (
            await signedFetch(`${outputs.TokenizerApiUrl}/health/ready`, {
              credentials: orderCredentials,
              region,
            })
          ).ok,
        { exited: tokenizer.exited },
      ),
      waitUntil(
        'the order service',
        async () => (await fetch(`${outputs.PaymentMethodApiURL}/health/ready`)).ok,
        {
          exited: orders.exited,
        },
      ),
    ]);

    if (settings.writeOutputs !== false) {
      await mkdir(dirname(outputsFile), { recursive: true });
      await writeFile(outputsFile, `${JSON.stringify(outputs, null, 2)}\n`);
      stoppers.push(() => rm(outputsFile, { force: true }));
    }
    const exited = Promise.race(
      [cognito, tokenizer, orders].map((child) => child.exited.then(() => child.name)),
    ).then((name) => (stopping ? new Promise<string>(() => {}) : name));
    const pids = {
      dynamoDb: dynamo.pid,
      cognito: cognito.process.pid,
      tokenizer: tokenizer.process.pid,
      orders: orders.process.pid,
    };
    return { outputs, kms, paymentProcessor, pids, exited, tenants, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export const tokenizerEntry = 'tokenizer-service/src/server.ts';

/**
 * The local tokenizer's environment, listening on `host:port`, against the stack's DynamoDB Local and KMS,
 * forwarding payments to the stack's payment processor stand-in.
 */
export function tokenizerEnvironment(
  outputs: LocalStackOutputs,
  host: string,
  port: number,
): Record<string, string> {
  return {
    ...vaultEnvironment(outputs),
    AUTHORIZATION_POLICY_FILE: authorizationPolicyFile,
    LOCAL_SIGV4_CREDENTIALS_FILE: sigv4CredentialsFile,
    CONNECTIONS_FILE: connectionsFile,
    CONNECTION_PAYMENTS_BASE_URL: outputs.PaymentProcessorUrl,
    // The stand-in listens on loopback, over http: allowed in the local stack only.
    ALLOW_LOOPBACK_DESTINATIONS: 'true',
    TOKENIZER_HOST: host,
    TOKENIZER_PORT: String(port),
  };
}

/** Runs a service's `server.ts` (`entry`, relative to the repository root) under tsx, as a child process. */
export function startService(
  name: string,
  entry: string,
  onLine: (name: string, line: string) => void,
  env: Record<string, string>,
): ChildService {
  return startChildService({
    name,
    command: process.execPath,
    args: ['--import', 'tsx', join(repositoryRoot, entry)],
    cwd: repositoryRoot,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...env },
    onLine,
  });
}

/** Creates each table (with its time-to-live attribute, when it has one) unless it exists. */
async function createTables(endpoint: string, region: string, tables: [CreateTableCommandInput, string?][]) {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const [definition, ttlAttribute] of tables) {
      try {
        await client.send(new CreateTableCommand(definition));
        if (ttlAttribute) {
          await client.send(
            new UpdateTimeToLiveCommand({
              TableName: definition.TableName,
              TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
            }),
          );
        }
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        // Kept from an earlier run (--persist, --data-dir): usable only if its key is today's.
        await assertSameKeySchema(client, definition);
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * Stops the start when a table kept on disk has another key than the service uses (say, the order table
 * from before orders were keyed by owner): every request would fail on it otherwise.
 */
async function assertSameKeySchema(client: DynamoDBClient, definition: CreateTableCommandInput) {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
  const keyOf = (schema: CreateTableCommandInput['KeySchema']) =>
    JSON.stringify((schema ?? []).map(({ AttributeName, KeyType }) => [AttributeName, KeyType]));
  if (keyOf(Table?.KeySchema) !== keyOf(definition.KeySchema)) {
    throw new Error(
      `The table ${definition.TableName} kept in the data directory is keyed ${keyOf(Table?.KeySchema)}, ` +
        `the service needs ${keyOf(definition.KeySchema)}: delete the data directory (or the table) and ` +
        'start again.',
    );
  }
}

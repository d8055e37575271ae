// The soak's payments: the order service (a child process running its server.ts, against the soak's
// DynamoDB Local, tokenizer and a cognito-local of its own) creates orders and pays them through the
// tokenizer's forward operation to the payment processor stand-in, while the soak's faults (and the
// processor's own: failing, slow) come and go. Afterwards every payment left unanswered is retried until
// the order service answers it, and the order table is reconciled with the processor's ledger: every paid
// order charged exactly once, no charge for an unpaid order, no card number in any log line.
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DynamoDBClient,
  paginateScan,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { type ChildService, startChildService, waitUntil } from '@tokenization/local-aws/child-service';
import { signUpAndSignIn } from '@tokenization/local-aws/cognito-client';
import {
  seededAppClientId,
  seededUserPoolId,
  startCognitoLocal,
} from '@tokenization/local-aws/cognito-local';
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import type { PaymentProcessor } from '@tokenization/local-aws/payment-processor';
import { chargeReference } from '@tokenization/order-service/order-key';
import { orderTableDefinition, orderTimeToLiveAttribute } from '@tokenization/order-service/order-table';
import { luhnCard } from '@tokenization/tokenizer-service/test-support/load-verify';

export interface PaymentSoakOptions {
  repositoryRoot: string;
  host: string;
  region: string;
  dynamoDbEndpoint: string;
  tokenizerUrl: string;
  /** SigV4 keys of the order service's principal in the soak tokenizer's policy. */
  orderCredentials: { accessKeyId: string; secretAccessKey: string };
  dataDirectory: string;
  processor: PaymentProcessor;
  /** Every line the order service and cognito-local print. */
  onLine: (line: string) => void;
}

export interface PaymentReport {
  orders: number;
  payments: { paid: number; declined: number; unavailable: number; other: Record<string, number> };
  /** Payments answered 503 (or not at all) under load, then settled by a retry. */
  settledByRetry: number;
  /** Payments still unanswered after the settling retries. */
  unsettled: number;
  ledger: number;
  /** Orders with more than one charge. */
  doubleCharges: number;
  /** Paid orders without their charge, or with another charge than the one they keep. */
  paidWithoutCharge: number;
  /** Charges of orders that are not paid. */
  chargesOfUnpaidOrders: number;
  /** Charges no order of the soak knows. */
  strayCharges: number;
}

const users = 4;

export class PaymentSoak {
  readonly #options: PaymentSoakOptions;
  readonly #orderService: ChildService;
  readonly #cognito: ChildService;
  readonly #baseUrl: string;
  readonly #tableName: string;
  readonly #users: { sub: string; idToken: string }[];
  /** Orders created, by owner and CustomerOrder. */
  readonly #orders = new Map<string, { owner: string; customerOrder: string; card: string }>();
  /** Orders whose payment got no final answer (503, no answer): retried when the load ends. */
  readonly #unsettled = new Set<string>();
  readonly #outcomes = { paid: 0, declined: 0, unavailable: 0, other: {} as Record<string, number> };
  #settledByRetry = 0;

  private constructor(
    options: PaymentSoakOptions,
    parts: {
      orderService: ChildService;
      cognito: ChildService;
      baseUrl: string;
      tableName: string;
      users: { sub: string; idToken: string }[];
    },
  ) {
    this.#options = options;
    this.#orderService = parts.orderService;
    this.#cognito = parts.cognito;
    this.#baseUrl = parts.baseUrl;
    this.#tableName = parts.tableName;
    this.#users = parts.users;
  }

  /** The order table, cognito-local with a few signed-in users, and the order service. */
  static async start(options: PaymentSoakOptions): Promise<PaymentSoak> {
    const { host, region } = options;
    const tableName = 'SoakCustomerOrders';
    await createOrderTable(options.dynamoDbEndpoint, region, tableName);
    const cognito = await startCognitoLocal({
      host,
      port: await freePort(host),
      dataDirectory: join(options.dataDirectory, 'cognito'),
      onLine: (_name, line) => options.onLine(line),
    });
    try {
      const signedIn = [];
      for (let i = 0; i < users; i++) {
        const idToken = await signUpAndSignIn(
          cognito.endpoint,
          { userPoolId: seededUserPoolId, clientId: seededAppClientId },
          {
            email: `soak-${i}-${randomUUID().slice(0, 8)}@example.com`,
            password: `Soak-${randomUUID()}-Pa55!`,
          },
        );
        signedIn.push({ sub: subjectOf(idToken), idToken });
      }
      const port = await freePort(host);
      const orderService = startChildService({
        name: 'orders',
        command: process.execPath,
        args: ['--import', 'tsx', join(options.repositoryRoot, 'order-service/src/server.ts')],
        cwd: options.repositoryRoot,
        env: {
          AWS_REGION: region,
          AWS_ACCESS_KEY_ID: options.orderCredentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: options.orderCredentials.secretAccessKey,
          ORDER_TABLE_NAME: tableName,
          TOKENIZER_API_URL: options.tokenizerUrl,
          COGNITO_USER_POOL_ID: seededUserPoolId,
          COGNITO_CLIENT_ID: seededAppClientId,
          COGNITO_ENDPOINT: cognito.endpoint,
          DYNAMODB_ENDPOINT: options.dynamoDbEndpoint,
          ORDER_HOST: host,
          ORDER_PORT: String(port),
          LOG_LEVEL: 'info',
        },
        onLine: (_name, line) => options.onLine(line),
      });
      const baseUrl = `http://${host}:${port}`;
      await waitUntil('the order service', async () => (await fetch(`${baseUrl}/health/live`)).ok, {
        exited: orderService.exited,
      });
      return new PaymentSoak(options, { orderService, cognito, baseUrl, tableName, users: signedIn });
    } catch (error) {
      await cognito.stop();
      throw error;
    }
  }

  /** Until `signal`: each client creates an order and pays it; 503s are left for settle(). */
  async run(options: { concurrency: number; signal: AbortSignal }): Promise<void> {
    const client = async (index: number) => {
      const user = this.#users[index % this.#users.length] as { sub: string; idToken: string };
      while (!options.signal.aborted) {
        // Letters only: a UUID's digit groups, joined by its hyphens, can read as a card number (refused).
        const customerOrder = `soak-${randomBytes(12)
          .toString('hex')
          .replace(/[0-9]/g, (digit) => 'ghijklmnop'[Number(digit)] ?? 'g')}`;
        const card = luhnCard();
        const created = await this.#post(user.idToken, '/order', {
          CustomerOrder: customerOrder,
          CustomerName: 'Soak Client',
          CreditCard: card,
          Address: '1 Soak Street',
        });
        if (created !== 200) {
          if (created !== 503 && created !== 0) this.#count(`create ${created}`);
          await sleep(100);
          continue;
        }
        const key = `${user.sub}/${customerOrder}`;
        this.#orders.set(key, { owner: user.sub, customerOrder, card });
        this.#record(key, await this.#post(user.idToken, '/paybill', { CustomerOrder: customerOrder }));
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, (_, index) => client(index)));
  }

  /** Retries every payment left without a final answer until it gets one, or `patienceMs` runs out. */
  async settle(patienceMs: number): Promise<void> {
    const deadline = Date.now() + patienceMs;
    while (this.#unsettled.size > 0 && Date.now() < deadline) {
      for (const key of [...this.#unsettled]) {
        const order = this.#orders.get(key);
        const user = this.#users.find((candidate) => candidate.sub === order?.owner);
        if (!order || !user) continue;
        const status = await this.#post(user.idToken, '/paybill', { CustomerOrder: order.customerOrder });
        if (status !== 503 && status !== 0) this.#settledByRetry++;
        this.#record(key, status);
      }
      if (this.#unsettled.size > 0) await sleep(500);
    }
  }

  /** The order table against the processor's ledger. */
  async reconcile(): Promise<PaymentReport> {
    const client = new DynamoDBClient({
      endpoint: this.#options.dynamoDbEndpoint,
      region: this.#options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const paidOrders = new Map<string, string>();
    try {
      for await (const page of paginateScan({ client }, { TableName: this.#tableName })) {
        for (const item of page.Items ?? []) {
          if (item.status?.S === 'PAID') {
            paidOrders.set(
              chargeReference({ owner: item.owner?.S ?? '', customerOrder: item.CustomerOrder?.S ?? '' }),
              item.chargeId?.S ?? '',
            );
          }
        }
      }
    } finally {
      client.destroy();
    }
    const known = new Set(
      [...this.#orders.values()].map(({ owner, customerOrder }) => chargeReference({ owner, customerOrder })),
    );
    const ledger = this.#options.processor.ledger();
    const chargesByKey = new Map<string, string[]>();
    for (const charge of ledger) {
      chargesByKey.set(charge.idempotencyKey, [
        ...(chargesByKey.get(charge.idempotencyKey) ?? []),
        charge.id,
      ]);
    }
    return {
      orders: this.#orders.size,
      payments: this.#outcomes,
      settledByRetry: this.#settledByRetry,
      unsettled: this.#unsettled.size,
      ledger: ledger.length,
      doubleCharges: [...chargesByKey.values()].filter((ids) => ids.length > 1).length,
      paidWithoutCharge: [...paidOrders].filter(
        ([key, chargeId]) => JSON.stringify(chargesByKey.get(key)) !== JSON.stringify([chargeId]),
      ).length,
      chargesOfUnpaidOrders: [...chargesByKey.keys()].filter((key) => known.has(key) && !paidOrders.has(key))
        .length,
      strayCharges: [...chargesByKey.keys()].filter((key) => !known.has(key)).length,
    };
  }

  /** The card numbers the soak submitted: none may appear in a log line. */
  cards(): string[] {
    return [...this.#orders.values()].map(({ card }) => card);
  }

  async stop(): Promise<void> {
    await this.#orderService.stop();
    await this.#cognito.stop();
  }

  #record(key: string, status: number): void {
    if (status === 200 || status === 409) {
      // 409: paid by an earlier attempt whose answer was lost.
      this.#outcomes.paid++;
      this.#unsettled.delete(key);
    } else if (status === 402) {
      this.#outcomes.declined++;
      this.#unsettled.delete(key);
    } else if (status === 503 || status === 0) {
      this.#outcomes.unavailable++;
      this.#unsettled.add(key);
    } else {
      this.#count(`paybill ${status}`);
      this.#unsettled.delete(key);
    }
  }

  #count(what: string): void {
    this.#outcomes.other[what] = (this.#outcomes.other[what] ?? 0) + 1;
  }

  /** The status, or 0 when no answer came (the order service restarting, a timeout). */
  async #post(idToken: string, path: string, body: unknown): Promise<number> {
    try {
      const response = await fetch(`${this.#baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: idToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }
}

/** The `sub` claim of an ID token (read, not verified: the order service verifies it). */
function subjectOf(idToken: string): string {
  const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return String((payload as { sub?: unknown }).sub);
}

async function createOrderTable(endpoint: string, region: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await client.send(new CreateTableCommand(orderTableDefinition(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: orderTimeToLiveAttribute, Enabled: true },
      }),
    );
  } finally {
    client.destroy();
  }
}

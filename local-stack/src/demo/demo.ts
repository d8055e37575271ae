// `npm run demo`: the original sample's walkthrough, end to end, against the local stack (started here
// if none is running): sign up, confirm, sign in, POST /order, POST /paybill (through the tokenizer's
// forward operation to the payment processor stand-in, whose ledger entry is shown), then both tables as
// stored, and the token as the security team sees it through the tokenizer client SDK; last, the order
// service's own credentials are refused a reveal.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { signUpAndSignIn } from '@tokenization/local-aws/cognito-client';
import type { Charge } from '@tokenization/local-aws/payment-processor';
import { readPaymentProcessorApiKey } from '@tokenization/local-aws/payment-processor-api-key';
import { orderItemKey } from '@tokenization/order-service/order-table';
import { TokenizerClient, TokenizerForbiddenError } from '@tokenization/tokenizer-client';
import {
  type LocalStack,
  type LocalStackOutputs,
  localCredentials,
  outputsFile,
  startLocalStack,
} from '../stack/local-stack.js';
import { localStackSettings } from '../stack/settings.js';

const card = '4111111111111111';
let step = 0;
const say = (text: string) => console.log(`\n${++step}. ${text}`);
const show = (value: unknown) =>
  console.log(`   ${JSON.stringify(value, null, 2).replaceAll('\n', '\n   ')}`);
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`   ${ok ? '✔' : '✘'} ${what}`);
  if (!ok) failures.push(what);
};

async function runningStack(): Promise<{ outputs: LocalStackOutputs; started?: LocalStack }> {
  try {
    const outputs = JSON.parse(await readFile(outputsFile, 'utf8')) as LocalStackOutputs;
    // A stack started before the processor stand-in existed cannot pay: start one of today's.
    if (outputs.PaymentProcessorUrl && (await fetch(`${outputs.PaymentMethodApiURL}/health/live`)).ok) {
      return { outputs };
    }
  } catch {
    // no stack running: start one below
  }
  console.log('No local stack is running: starting one for the demo…');
  const started = await startLocalStack(localStackSettings([], process.env));
  return { outputs: started.outputs, started };
}

/** The `sub` claim of our own ID token (read, not verified: the order service verified it). */
function subjectOf(idToken: string): string {
  const payload = JSON.parse(Buffer.from(idToken.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return String((payload as { sub?: unknown }).sub);
}

async function post(url: string, idToken: string, body: unknown) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: idToken, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const { outputs, started } = await runningStack();
try {
  const email = `demo-${randomUUID().slice(0, 8)}@example.com`;
  say(`Sign up ${email}, confirm the sign-up and sign in (USER_PASSWORD_AUTH) for an ID token`);
  const idToken = await signUpAndSignIn(
    outputs.CognitoEndpoint,
    { userPoolId: outputs.UserPoolId, clientId: outputs.UserPoolAppClientId },
    { email, password: `Demo-${randomUUID()}-Pa55!` },
  );
  check(idToken.split('.').length === 3, 'got a signed ID token (JWT)');

  const CustomerOrder = `order-${randomUUID().slice(0, 8)}`;
  say(`POST ${outputs.PaymentMethodApiURL}/order with a card number`);
  const order = await post(`${outputs.PaymentMethodApiURL}/order`, idToken, {
    CustomerOrder,
    CustomerName: 'Jane Doe',
    CreditCard: card,
    Address: '1 Main Street, Springfield',
  });
  show(order.body);
  check(order.status === 200 && order.body.message === 'Order Created Successfully', 'order created');
  check(!JSON.stringify(order.body).includes(card), 'the answer holds a token, not the card number');

  say(`POST ${outputs.PaymentMethodApiURL}/paybill: the tokenizer forwards the charge to the processor`);
  const payment = await post(`${outputs.PaymentMethodApiURL}/paybill`, idToken, { CustomerOrder });
  show(payment.body);
  check(payment.status === 200 && payment.body['CreditCard Charged'] === '************1111', 'paid, masked');

  say(`The processor's ledger (${outputs.PaymentProcessorUrl}/v1/charges): the charge of this order`);
  const paidOrder = await fetch(`${outputs.PaymentMethodApiURL}/order/${CustomerOrder}`, {
    headers: { authorization: idToken },
  }).then((response) => response.json() as Promise<Record<string, unknown>>);
  const ledger = await fetch(`${outputs.PaymentProcessorUrl}/v1/charges`, {
    headers: { authorization: `Bearer ${await readPaymentProcessorApiKey()}` },
  }).then((response) => response.json() as Promise<{ data: Charge[] }>);
  const entries = ledger.data.filter((charge) => charge.id === paidOrder.ChargeId);
  show(entries[0]);
  check(
    entries.length === 1 && entries[0]?.status === 'captured' && entries[0].card.last4 === '1111',
    'one captured charge, the id the order keeps (ChargeId), its card as brand and last four',
  );
  check(!JSON.stringify(ledger).includes(card), 'the ledger holds no card number');
  check(
    ledger.data.filter((charge) => charge.idempotencyKey === entries[0]?.idempotencyKey).length === 1,
    "charged once under the order's idempotency key",
  );

  const dynamoDb = new DynamoDBClient({
    endpoint: outputs.DynamoDBEndpoint,
    region: outputs.Region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  say(`The order item, read straight from DynamoDB Local (${outputs.CustomerOrderTableName})`);
  const { Item: orderItem } = await dynamoDb.send(
    new GetItemCommand({
      TableName: outputs.CustomerOrderTableName,
      // Orders are keyed by their owner, the `sub` of the ID token that placed them.
      Key: orderItemKey({ owner: subjectOf(idToken), customerOrder: CustomerOrder }),
    }),
  );
  show(orderItem);
  check(!JSON.stringify(orderItem).includes(card), 'the order table holds no card number');
  const token = orderItem?.CreditCardToken?.S ?? '';
  check(token === order.body.CreditCardToken, 'it holds the token');

  say(`The vault item, read straight from DynamoDB Local (${outputs.TokenVaultTableName})`);
  const { Item: vaultItem } = await dynamoDb.send(
    new GetItemCommand({
      TableName: outputs.TokenVaultTableName,
      Key: { pk: { S: `token#orders#${token}` } },
    }),
  );
  const ciphertext = Buffer.from(vaultItem?.ciphertext?.B ?? []);
  show({
    ...vaultItem,
    ciphertext: `<${ciphertext.length} bytes: ${ciphertext.subarray(0, 24).toString('base64')}…>`,
  });
  check(ciphertext.length > 0, 'the vault holds a ciphertext');
  check(
    !ciphertext.toString('latin1').includes(card) && !JSON.stringify(vaultItem).includes(card),
    'and no plaintext',
  );
  dynamoDb.destroy();

  say('The security team looks at the token with the tokenizer client SDK (SigV4, as role/security-admin)');
  const security = new TokenizerClient({
    endpoint: outputs.TokenizerApiUrl,
    region: outputs.Region,
    credentials: await localCredentials('security-admin'),
  });
  const metadata = await security.getTokenMetadata(token);
  show(metadata);
  check(
    metadata.card?.last4 === '1111' && !JSON.stringify(metadata).includes(card),
    'its metadata: last four and brand, never the value',
  );
  const masked = await security.detokenize({ tokens: [token], reveal: 'masked' });
  show(masked);
  check(
    JSON.stringify(masked.results) === JSON.stringify([{ token, value: '************1111' }]),
    'a masked reveal: the last four only',
  );
  const full = await security.detokenize({ tokens: [token] }).catch((error: unknown) => error);
  check(full instanceof TokenizerForbiddenError, 'a full reveal is refused (403)');

  say('The order service itself asks for the card number back (SigV4, as role/order-service)');
  const orderService = new TokenizerClient({
    endpoint: outputs.TokenizerApiUrl,
    region: outputs.Region,
    credentials: await localCredentials('order-service'),
  });
  const reveal = await orderService.detokenize({ tokens: [token] }).catch((error: unknown) => error);
  check(
    reveal instanceof TokenizerForbiddenError,
    'refused (403): it pays through forward and checks replays with verify, it never reads a card back',
  );
} catch (error) {
  failures.push((error as Error).message);
  console.error(`\n   ✘ ${(error as Error).message}`);
} finally {
  await started?.stop();
}
console.log(failures.length === 0 ? '\nDEMO PASSED' : `\nDEMO FAILED: ${failures.join('; ')}`);
process.exitCode = failures.length === 0 ? 0 : 1;

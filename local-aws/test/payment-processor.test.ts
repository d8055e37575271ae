import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { containsCardNumber } from '@tokenization/service-kit/card';
import t, { type Test } from 'tap';
import { readPaymentProcessorApiKey } from '../src/payment-processor/api-key.js';
import {
  type PaymentProcessor,
  type PaymentProcessorLogEntry,
  startPaymentProcessor,
} from '../src/payment-processor/payment-processor.js';
import { cardNumbersIn, testCardNumbers } from '../src/test-support/test-cards.js';

const [visa, mastercard, amex] = testCardNumbers;
const declined = '4000000000000002';
const apiKey = 'test-only-processor-key-0123456789';

async function start(t: Test): Promise<{ processor: PaymentProcessor; logs: PaymentProcessorLogEntry[] }> {
  const logs: PaymentProcessorLogEntry[] = [];
  const processor = await startPaymentProcessor({ apiKey, log: (entry) => logs.push(entry) });
  t.teardown(() => processor.close());
  return { processor, logs };
}

/** A charge, a ledger or a processor error, as the stand-in answers them. */
interface AnswerBody {
  id?: string;
  error?: { type: string; code: string; message: string };
  [field: string]: unknown;
}

interface Answer {
  status: number;
  body: AnswerBody;
}

async function charge(
  processor: PaymentProcessor,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${processor.url}/v1/charges`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'idempotency-key': 'order-1',
      'content-type': 'application/json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as AnswerBody };
}

async function get(processor: PaymentProcessor, path: string, key = apiKey): Promise<Answer> {
  const response = await fetch(`${processor.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: response.status, body: (await response.json()) as AnswerBody };
}

const usd = (value: number) => ({ value, currency: 'USD' });

t.test('a charge is captured and kept in the ledger with brand and last four only', async (t) => {
  const { processor } = await start(t);
  const answer = await charge(processor, {
    amount: usd(1000),
    card: { number: visa },
    description: 'order 1',
  });
  t.equal(answer.status, 201);
  t.match(answer.body, {
    id: /^ch_[0-9a-f]{32}$/,
    status: 'captured',
    amount: usd(1000),
    card: { brand: 'visa', last4: '1111' },
    description: 'order 1',
    idempotencyKey: 'order-1',
  });
  t.same(processor.ledger(), [answer.body], 'the in-process ledger holds the charge');
  t.same((await get(processor, '/v1/charges')).body, { object: 'list', data: [answer.body] });
  t.same((await get(processor, `/v1/charges/${answer.body.id}`)).body, answer.body);
  t.equal((await get(processor, '/v1/charges/ch_nothing')).status, 404);
  t.same(cardNumbersIn(JSON.stringify(processor.ledger())), [], 'the ledger holds no card number');
});

t.test('a charge id never holds a card-number-like run (the forward would mask it)', async (t) => {
  // Random bytes whose hex starts with a Luhn-valid 16-digit run (4111…1111), then ordinary ones.
  const draws = [
    Buffer.from('4111111111111111abcdefabcdefabcd', 'hex'),
    Buffer.from('0123456789abcdef0123456789abcdef', 'hex'),
  ];
  const processor = await startPaymentProcessor({
    apiKey,
    randomBytes: (size) => {
      const bytes = draws.shift() ?? Buffer.alloc(size, 0xab);
      t.equal(bytes.length, size);
      return bytes;
    },
  });
  t.teardown(() => processor.close());
  const answer = await charge(processor, { amount: usd(1000), card: { number: visa } });
  t.equal(answer.status, 201);
  t.equal(answer.body.id, 'ch_0123456789abcdef0123456789abcdef', 'the card-like draw was not used');
  t.notOk(containsCardNumber(answer.body.id ?? ''), 'nothing the forward would mask');
});

t.test('the same idempotency key never charges twice: the first charge is answered again', async (t) => {
  const { processor } = await start(t);
  const body = { amount: usd(1000), card: { number: mastercard } };
  const first = await charge(processor, body);
  const [again, atOnce] = await Promise.all([charge(processor, body), charge(processor, body)]);
  t.equal(first.status, 201);
  t.equal(again.status, 200, 'a replay answers 200');
  t.same(again.body, first.body, 'with the first charge');
  t.same(atOnce.body, first.body);
  const other = await charge(processor, body, { 'idempotency-key': 'order-2' });
  t.equal(other.status, 201, 'another key is another charge');
  t.equal(processor.ledger().length, 2);

  const reused = await charge(processor, { amount: usd(2000), card: { number: mastercard } });
  t.equal(reused.status, 400, 'a key reused for another request is refused');
  t.equal(reused.body.error?.type, 'idempotency_error');
  t.equal(processor.ledger().length, 2, 'and charges nothing');

  const missing = await fetch(`${processor.url}/v1/charges`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  t.equal(missing.status, 400, 'the idempotency key is required');
  t.match(await missing.json(), { error: { code: 'idempotency_key_required' } });
});

t.test('Luhn is checked, the decline test card is declined, no expiry is needed', async (t) => {
  const { processor } = await start(t);
  const badLuhn = await charge(processor, { amount: usd(1000), card: { number: '4111111111111112' } });
  t.equal(badLuhn.status, 400);
  t.same(badLuhn.body, {
    error: { type: 'card_error', code: 'incorrect_number', message: 'The card number is incorrect.' },
  });
  const refused = await charge(processor, { amount: usd(1000), card: { number: declined } });
  t.equal(refused.status, 402);
  t.same(refused.body, {
    error: { type: 'card_error', code: 'card_declined', message: 'Your card was declined.' },
  });
  const amexCharge = await charge(
    processor,
    { amount: usd(1), card: { number: amex } },
    {
      'idempotency-key': 'amex',
    },
  );
  t.match(amexCharge, { status: 201, body: { card: { brand: 'amex', last4: '0005' } } });
  for (const amount of [usd(0), usd(1.5), { value: 1 }, { value: 1, currency: 'usd' }, undefined]) {
    const bad = await charge(processor, { amount, card: { number: visa } }, { 'idempotency-key': 'x' });
    t.equal(bad.status, 400, `amount ${JSON.stringify(amount)} refused`);
  }
  t.equal(processor.ledger().length, 1, 'only the good card was charged');
});

t.test('every route but /health/live needs the API key', async (t) => {
  const { processor } = await start(t);
  for (const headers of [{ authorization: '' }, { authorization: 'Bearer wrong-key-of-some-length' }]) {
    const refused = await charge(processor, { amount: usd(1000), card: { number: visa } }, headers);
    t.equal(refused.status, 401);
    t.equal(refused.body.error?.code, 'unauthorized');
  }
  t.equal((await get(processor, '/v1/charges', 'wrong')).status, 401);
  const control = await fetch(`${processor.url}/_control/faults`, {
    method: 'POST',
    body: JSON.stringify({ mode: 'fail' }),
  });
  t.equal(control.status, 401, 'faults are not injected without the key');
  t.equal((await fetch(`${processor.url}/health/live`)).status, 200);
  t.same(processor.ledger(), [], 'nothing was charged');
});

t.test('faults: fail charges nothing, slow and drop charge once, count ends them', async (t) => {
  const { processor } = await start(t);
  const body = { amount: usd(1000), card: { number: visa } };

  processor.setFault({ mode: 'fail', count: 2 });
  t.equal((await charge(processor, body)).status, 503);
  t.equal((await charge(processor, body)).status, 503);
  t.same(processor.ledger(), [], 'a failed charge charges nothing');
  const afterFail = await charge(processor, body);
  t.equal(afterFail.status, 201, 'the fault ends after `count` charge requests');

  processor.setFault({ mode: 'drop', count: 1 });
  await t.rejects(charge(processor, body, { 'idempotency-key': 'dropped' }), 'no answer arrives');
  t.equal(processor.ledger().length, 2, 'but the dropped charge was made');
  const retried = await charge(processor, body, { 'idempotency-key': 'dropped' });
  t.equal(retried.status, 200, 'its retry answers it');
  t.equal(processor.ledger().length, 2, 'and charges nothing more');

  // Through the control endpoint, as an out-of-process soak does.
  const set = await fetch(`${processor.url}/_control/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ mode: 'slow', delayMs: 300, count: 1 }),
  });
  t.equal(set.status, 200);
  const aborted = await fetch(`${processor.url}/v1/charges`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': 'slow' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(50),
  }).catch((error: unknown) => error);
  t.type(aborted, Error, 'a caller that gives up on a slow charge gets no answer');
  t.equal(processor.ledger().length, 3, 'but the slow charge was made');
  t.equal((await charge(processor, body, { 'idempotency-key': 'slow' })).status, 200, 'a retry replays it');

  const badFault = await fetch(`${processor.url}/_control/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ mode: 'explode' }),
  });
  t.equal(badFault.status, 400);
});

t.test('the log holds brand and last four, never a card number, whatever is sent', async (t) => {
  const { processor, logs } = await start(t);
  await charge(processor, { amount: usd(1000), card: { number: visa } });
  await charge(processor, { amount: usd(1000), card: { number: visa } });
  await charge(processor, { amount: usd(1000), card: { number: declined } }, { 'idempotency-key': 'd' });
  await charge(
    processor,
    { amount: usd(1000), card: { number: '4111111111111112' } },
    {
      'idempotency-key': 'l',
    },
  );
  await charge(processor, { amount: usd(1000), card: { number: visa } }, { authorization: 'Bearer x' });
  t.same(
    logs.map((entry) => [entry.event, entry.status]),
    [
      ['charge.captured', 201],
      ['charge.replayed', 200],
      ['charge.declined', 402],
      ['charge.refused', 400],
      ['charge.refused', 401],
    ],
  );
  t.match(logs[0], { card: { brand: 'visa', last4: '1111' } });
  t.same(cardNumbersIn(JSON.stringify(logs)), [], 'no log entry holds a card number');
});

t.test('main.ts serves with the key file and logs JSON lines without card numbers', async (t) => {
  const key = await readPaymentProcessorApiKey();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('../src/payment-processor/main.ts', import.meta.url))],
    { env: { ...process.env, PAYMENT_PROCESSOR_PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.teardown(() => {
    child.kill('SIGTERM');
  });
  const lines = createInterface({ input: child.stdout });
  const output: string[] = [];
  const ready = new Promise<string>((resolve) => {
    lines.on('line', (line) => {
      output.push(line);
      const parsed = JSON.parse(line) as { paymentProcessor?: string; url?: string };
      if (parsed.paymentProcessor === 'ready') resolve(String(parsed.url));
    });
  });
  const url = await ready;
  const response = await fetch(`${url}/v1/charges`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': 'main' },
    body: JSON.stringify({ amount: usd(500), card: { number: visa } }),
  });
  t.equal(response.status, 201);
  child.kill('SIGTERM');
  await once(child, 'exit');
  t.match(output.at(-1), /"event":"charge.captured"/);
  t.same(cardNumbersIn(output.join('\n')), [], 'its log holds no card number');
});

// The order service under concurrent load while its tokenizer goes down, comes back with a cold data key
// cache while KMS fails, and recovers: clients only ever get 200 or 503 with Retry-After, never a 500 or a
// hang; afterwards no half-written order exists, every acknowledged order holds a token of its card
// (verified by the tokenizer), every acknowledged payment charged once, no refused request left an order,
// and a refused payment is never marked paid (the processor may have charged it: a retry answers that
// charge).
// The order store's own outages are tokenizer-outage.test.ts and idempotency.test.ts.
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestStack, type TestStack } from '@tokenization/tokenizer-service/test-stack';
import { luhnCard } from '@tokenization/tokenizer-service/test-support/load-verify';
import t from 'tap';
import { chargeReference } from '../../src/domain/order-key.js';
import {
  assertNoCardNumberLogged,
  createOrderStack,
  orderLogLines,
  orderTokenizerOptions,
} from '../helpers/order-stack.js';

interface Outcome {
  status: number;
  retryAfter: string | null;
  problem: boolean;
  ms: number;
}

t.test('tokenizer down, then KMS failing, mid-load: 200 or 503 only, nothing half-written', async (t) => {
  const stack = await createOrderStack(t);
  let tokenizer: TestStack = stack.tokenizer;
  const { port } = tokenizer.app.server.address() as AddressInfo;
  const alice = stack.idProvider.idToken('alice-sub');

  const outcomes: Outcome[] = [];
  const created = new Map<string, { card: string; token: string }>();
  const refusedCreates = new Set<string>();
  const paid = new Set<string>();
  const refusedPayments = new Set<string>();
  const cards = new Set<string>();
  const call = async (method: string, path: string, body: unknown) => {
    const started = performance.now();
    const response = await stack.request(method, path, { token: alice, body });
    outcomes.push({
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      problem: response.headers.get('content-type')?.startsWith('application/problem+json') ?? false,
      ms: performance.now() - started,
    });
    return response;
  };

  let sequence = 0;
  let running = true;
  const client = async (id: number) => {
    while (running) {
      const customerOrder = `load-${id}-${++sequence}`;
      const card = luhnCard();
      cards.add(card);
      const body = {
        CustomerOrder: customerOrder,
        CustomerName: `Client ${id}`,
        CreditCard: card,
        Address: 'Loop 1',
      };
      const response = await call('POST', '/order', body);
      if (response.status === 200)
        created.set(customerOrder, { card, token: response.json().CreditCardToken as string });
      else refusedCreates.add(customerOrder);
      if (response.status !== 200 || sequence % 2 === 0) continue;
      const payment = await call('POST', '/paybill', { CustomerOrder: customerOrder });
      if (payment.status === 200) paid.add(customerOrder);
      else refusedPayments.add(customerOrder);
    }
  };

  const faults: string[] = [];
  const injectFaults = async () => {
    // A few orders first (slower on a busy machine), so that the faults have something to break.
    for (let waited = 0; created.size < 4 && waited < 20_000; waited += 100) await sleep(100);
    await tokenizer.app.close();
    faults.push('tokenizer down');
    await sleep(1_000);
    // It comes back with a cold data key cache while KMS fails: it answers, with 503s.
    tokenizer.kms.setFault({ mode: 'fail' });
    faults.push('kms failing');
    tokenizer = await createTestStack(t, {
      shareWith: tokenizer,
      ...orderTokenizerOptions(stack.processor),
    });
    await tokenizer.app.listen({ host: '127.0.0.1', port });
    faults.push('tokenizer back');
    await sleep(1_500);
    tokenizer.kms.setFault({ mode: 'none' });
    faults.push('kms back');
    await sleep(1_500);
    running = false;
  };
  await Promise.all([...[1, 2, 3, 4].map(client), injectFaults()]);

  const byStatus: Record<number, number> = {};
  for (const { status } of outcomes) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const slowest = Math.round(Math.max(...outcomes.map((outcome) => outcome.ms)));
  t.comment(
    `faults: ${faults.join(', ')}; answers ${JSON.stringify(byStatus)}; orders ${created.size} ` +
      `(refused ${refusedCreates.size}), payments ${paid.size} (refused ${refusedPayments.size}); slowest ${slowest} ms`,
  );
  t.same(Object.keys(byStatus).sort(), ['200', '503'], 'every answer is 200 or 503');
  t.ok((byStatus[503] ?? 0) > 0 && created.size > 0, 'the faults were felt, and orders went through');
  t.ok(
    outcomes.filter((o) => o.status === 503).every((o) => o.problem && Number(o.retryAfter) >= 1),
    'every 503 is a problem document with Retry-After',
  );
  // A create tries the tokenizer once (1 s limit); a payment up to 3 times with backoff and Retry-After.
  t.ok(slowest < 10_000, `no request hung past its timeouts (slowest ${slowest} ms)`);

  const items = new Map(
    (await stack.orderItems()).map((item) => [
      (item.CustomerOrder as { S: string }).S,
      item as Record<string, { S?: string }>,
    ]),
  );
  t.same(
    [...items.values()].filter((item) => item.status?.S === 'PENDING').map((item) => item.CustomerOrder?.S),
    [],
    'no half-written order (reservation) is left',
  );
  t.same(
    [...refusedCreates].filter((id) => items.has(id)),
    [],
    'no refused create left an order',
  );
  t.same(
    [...created.keys()].filter((id) => items.get(id)?.CreditCardToken?.S !== created.get(id)?.token),
    [],
    'every acknowledged order is stored with the token it answered',
  );
  // As the order service itself can: verify, never a reveal.
  let mismatched = 0;
  for (const { card, token } of created.values()) {
    const response = await tokenizer.inject({
      method: 'POST',
      url: `/v1/tokens/${token}/verify`,
      payload: { value: card },
    });
    if (response.json().match !== true) mismatched++;
  }
  t.equal(mismatched, 0, `every acknowledged order's token holds its card (${created.size} orders)`);
  // The processor knows an order by its charge reference: back to the CustomerOrder of this one user.
  const customerOrderOf = new Map(
    [...items.keys()].map((id) => [chargeReference({ owner: 'alice-sub', customerOrder: id }), id]),
  );
  const charged = new Set(
    stack.processor.ledger().map((charge) => customerOrderOf.get(charge.idempotencyKey)),
  );
  t.same(
    [...paid].filter((id) => items.get(id)?.status?.S !== 'PAID'),
    [],
    'every acknowledged payment is PAID',
  );
  t.same(
    [...paid].filter((id) => !charged.has(id)),
    [],
    'and was charged',
  );
  t.equal(stack.processor.ledger().length, charged.size, 'no order was charged twice');
  t.same(
    [...charged].filter((id) => id === undefined || !(paid.has(id) || refusedPayments.has(id))),
    [],
    'every charge is of an order that was paid, or whose payment answered 503 (outcome unknown)',
  );
  t.same(
    [...refusedPayments].filter((id) => items.get(id)?.status?.S === 'PAID'),
    [],
    'no refused payment marked an order paid',
  );
  const orphans = (await stack.vaultTokenCount()) - created.size;
  t.comment(`tokens in the vault that no order holds: ${orphans}`);
  t.ok(orphans >= 0, 'no acknowledged order lost its token');
  const leaks = orderLogLines.filter((line) =>
    (line.match(/\d{13,19}/g) ?? []).some((run) => cards.has(run)),
  );
  t.same(leaks, [], 'no card of the load in any order service log line');
});

assertNoCardNumberLogged(t);

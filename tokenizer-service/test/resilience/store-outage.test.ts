// The vault store stopped mid-load: a DynamoDB Local of this test's own, on disk, is stopped while clients
// tokenize and detokenize, then started again on the same port and folder. Meanwhile requests get 503 with
// Retry-After (never a 500, never a hang); afterwards every acknowledged token detokenizes to its value.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startDynamoDbLocal } from '@tokenization/local-aws/dynamodb-local';
import t from 'tap';
import { untilAcknowledged } from '../helpers/load.js';
import { LoadAndVerify, signedSender } from '../helpers/load-verify.js';
import {
  assertNoCardNumberLogged,
  capturedLogLines,
  createTestStack,
  testCaller,
  testRegion,
} from '../helpers/test-stack.js';

t.test(
  'the vault store stopped and restarted mid-load: 503s meanwhile, nothing acknowledged lost',
  async (t) => {
    const dbPath = await mkdtemp(join(tmpdir(), 'vault-store-outage-'));
    const port = await freePort();
    let dynamo = await startDynamoDbLocal({ port, dbPath, readyTimeoutMs: 60_000 });
    // Registered first, so it runs last (teardowns run in reverse): the stack deletes its table before.
    t.teardown(async () => {
      await dynamo.stop();
      await rm(dbPath, { recursive: true, force: true });
    });
    const stack = await createTestStack(t, { dynamoDbEndpoint: dynamo.endpoint });
    await stack.app.listen({ host: '127.0.0.1', port: 0 });
    const baseUrl = `http://127.0.0.1:${(stack.app.server.address() as AddressInfo).port}`;
    const send = signedSender({ baseUrl, credentials: testCaller.credentials, region: testRegion });
    const load = new LoadAndVerify({ send, requestTimeoutMs: 10_000 });
    const ready = async () =>
      (await send({ method: 'GET', path: '/health/ready' }, AbortSignal.timeout(5_000))).status;

    const stopLoad = new AbortController();
    const outage = { downMs: 0, readyWhileDown: 0, readyAfter: 0 };
    const injectFault = async () => {
      // Tokens first (on a busy machine that takes longer), so that the outage has something to lose.
      await untilAcknowledged(load, 20);
      const stopped = Date.now();
      await dynamo.stop();
      await sleep(1_000);
      outage.readyWhileDown = await ready();
      dynamo = await startDynamoDbLocal({ port, dbPath, readyTimeoutMs: 60_000 });
      outage.downMs = Date.now() - stopped;
      await sleep(1_500);
      outage.readyAfter = await ready();
      stopLoad.abort();
    };
    await Promise.all([
      load.run({ durationMs: 90_000, concurrency: 6, signal: stopLoad.signal }),
      injectFault(),
    ]);
    await load.verify();

    const report = load.report();
    t.comment(`store down for ${outage.downMs} ms; ${JSON.stringify(report)}`);
    t.equal(outage.readyWhileDown, 503, 'not ready while the store is down');
    t.equal(outage.readyAfter, 200, 'ready again once it is back');
    t.same(load.defects(), {}, 'no 5xx but 503 with Retry-After, no hang, no leak, nothing lost');
    t.ok(report.outcomes.unavailable > 0, 'the outage was felt: requests got 503 with Retry-After');
    t.equal(report.outcomes.connection, 0, 'the tokenizer itself always answered');
    t.ok(report.acknowledged.random >= 20, `${report.acknowledged.random} random tokens acknowledged`);
    t.ok(
      report.verification.verified >= report.acknowledged.random,
      'every acknowledged value was read back',
    );
    t.same(load.linesHoldingValues(capturedLogLines), [], 'no submitted value in any log line');
  },
);

assertNoCardNumberLogged(t);

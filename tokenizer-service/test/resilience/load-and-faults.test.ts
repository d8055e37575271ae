// Load with verification (the core shared with `npm run soak`): concurrent clients over HTTP while KMS
// fails, then throttles, and the tokenizer is restarted on its port; afterwards every acknowledged token
// must detokenize to exactly its value. The vault store stopped mid-load is store-outage.test.ts.
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { untilAcknowledged } from '../helpers/load.js';
import { LoadAndVerify, signedSender } from '../helpers/load-verify.js';
import {
  assertNoCardNumberLogged,
  capturedLogLines,
  createTestStack,
  type TestStack,
  testCaller,
  testRegion,
} from '../helpers/test-stack.js';

// Data keys live one second, so KMS is asked again and again under load and its faults are felt; with the
// default five minutes a warm cache would never notice a KMS outage. The load races deterministic
// tokenizations far above the per-principal limit, which has tests of its own.
const env = { DATA_KEY_CACHE_MAX_AGE_SECONDS: '1', DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: '1000000' };

t.test(
  'under load, KMS failing and throttling and a tokenizer restart lose nothing acknowledged',
  async (t) => {
    let stack = await createTestStack(t, { env });
    await stack.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = stack.app.server.address() as AddressInfo;
    const load = new LoadAndVerify({
      send: signedSender({
        baseUrl: `http://127.0.0.1:${port}`,
        credentials: testCaller.credentials,
        region: testRegion,
      }),
      requestTimeoutMs: 10_000,
    });
    const faults: string[] = [];
    const restart = async (previous: TestStack): Promise<TestStack> => {
      await previous.app.close(); // drains requests in flight; new ones are refused until the next listens
      await sleep(300);
      const next = await createTestStack(t, { shareWith: previous, env });
      await next.app.listen({ host: '127.0.0.1', port });
      return next;
    };
    const stopLoad = new AbortController();
    const injectFaults = async () => {
      await untilAcknowledged(load, 20);
      for (const mode of ['fail', 'throttle'] as const) {
        await sleep(800);
        stack.kms.setFault({ mode });
        faults.push(`kms ${mode}`);
        await sleep(1_200);
        stack.kms.setFault({ mode: 'none' });
      }
      await sleep(800);
      stack = await restart(stack);
      faults.push('tokenizer restart');
      await sleep(1_500); // recovery under load
      stopLoad.abort();
    };
    await Promise.all([
      load.run({ durationMs: 60_000, concurrency: 8, signal: stopLoad.signal }),
      injectFaults(),
    ]);
    await load.verify();

    const report = load.report();
    t.comment(`faults: ${faults.join(', ')}; ${JSON.stringify(report)}`);
    t.same(faults, ['kms fail', 'kms throttle', 'tokenizer restart'], 'every fault was injected');
    t.same(load.defects(), {}, 'no 5xx but 503 with Retry-After, no hang, no leak, nothing lost');
    t.ok(report.outcomes.unavailable > 0, 'the faults were felt: requests got 503 with Retry-After');
    t.ok(report.acknowledged.random >= 20, `${report.acknowledged.random} random tokens acknowledged`);
    t.ok(report.acknowledged.oneTime > 0 && report.acknowledged.deterministic > 0, 'every token kind');
    t.ok(
      report.verification.verified >= report.acknowledged.random,
      'every acknowledged value was read back',
    );
    t.ok(report.maxLatencyMs < 10_000, `no request hung (longest ${report.maxLatencyMs} ms)`);
    t.same(load.linesHoldingValues(capturedLogLines), [], 'no submitted value in any log line');
  },
);

assertNoCardNumberLogged(t);

// The limit of one attempt, and the caller's own signal: against a scripted tokenizer that answers late.
import t from 'tap';
import { TokenizerTimeoutError } from '../src/index.js';
import { scriptedClient } from './helpers/scripted-client.js';
import { startScriptedServer } from './helpers/scripted-server.js';

const token = 'tok_3q2-7wEjRk6Yb1cM9xPz0A';
// Far longer than the clients' limit: no answer ever comes in time.
const late = { status: 200, body: { status: 'ok' }, delayMs: 10_000 };

t.test('an attempt that outlasts timeoutMs is a TokenizerTimeoutError; reads retry it', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(late);
  const { client, attempts } = scriptedClient(server.url, { timeoutMs: 300 });
  const error = await client.live().catch((error: unknown) => error);
  t.ok(error instanceof TokenizerTimeoutError);
  t.match(error, { kind: 'timeout', timeoutMs: 300 });
  t.equal(attempts.count, 3, 'every attempt timed out');

  server.answer(late, { status: 200, body: { status: 'ok' } });
  t.same(await client.live(), { status: 'ok' }, 'a late attempt, then a timely one');
});

t.test('a tokenize that times out is not sent again: it may have created a token', async (t) => {
  const server = await startScriptedServer(t);
  server.answer(late);
  const { client, attempts } = scriptedClient(server.url, { timeoutMs: 300 });
  await t.rejects(client.tokenize({ value: 'a value' }), TokenizerTimeoutError);
  t.equal(attempts.count, 1);
});

t.test("a call's own timeoutMs replaces the client's", async (t) => {
  const server = await startScriptedServer(t);
  server.answer(late);
  const { client } = scriptedClient(server.url, { timeoutMs: 60_000, maxRetries: 0 });
  await t.rejects(client.getTokenMetadata(token, { timeoutMs: 300 }), {
    name: 'TokenizerTimeoutError',
    timeoutMs: 300,
  });
});

t.test("the caller's signal ends the call with its reason, and nothing is retried", async (t) => {
  const server = await startScriptedServer(t);
  server.answer(late);
  const { client } = scriptedClient(server.url, { timeoutMs: 60_000 });
  const controller = new AbortController();
  const call = client.live({ signal: controller.signal });
  // Abort once the request is in: the server has it and is not answering.
  while (server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
  const reason = new Error('the caller gave up');
  controller.abort(reason);
  await t.rejects(call, reason);
  t.equal(server.requests.length, 1);
});

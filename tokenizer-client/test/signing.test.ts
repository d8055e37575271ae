// What goes on the wire: SigV4 for `execute-api` in the client's region, over the exact path under the
// endpoint's stage, body hash included. (That the real tokenizer accepts these signatures is shown by
// tokenizer-service/test/client/operations.test.ts.)
import { createHash } from 'node:crypto';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import t from 'tap';
import { scriptedClient, scriptedCredentials, scriptedRegion } from './helpers/scripted-client.js';
import { type RecordedRequest, startScriptedServer } from './helpers/scripted-server.js';

/** The signature of a received request, computed again from its signed headers and X-Amz-Date. */
async function recomputedAuthorization(request: RecordedRequest, credentials = scriptedCredentials) {
  const authorization = String(request.headers.authorization);
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const host = String(request.headers.host);
  const [hostname = '', port] = host.split(':');
  const signer = new SignatureV4({
    service: 'execute-api',
    region: scriptedRegion,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method,
      protocol: 'http:',
      hostname,
      ...(port ? { port: Number(port) } : {}),
      path: request.url,
      headers: Object.fromEntries(signedHeaders.map((name) => [name, String(request.headers[name])])),
      ...(request.body ? { body: request.body } : {}),
    }),
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  return { signedHeaders, authorization: signed.headers.authorization };
}

t.test('a request is signed for execute-api, under the stage path, body hash included', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({
    status: 201,
    body: {
      token: 'tok_x',
      createdAt: '2026-01-01T00:00:00.000Z',
      type: 'generic',
      format: 'random',
      deterministic: false,
    },
  });
  const { client } = scriptedClient(`${server.url}/prod/`);
  await client.tokenize({ value: 'a value' });

  const [request] = server.requests as [RecordedRequest];
  t.equal(request.method, 'POST');
  t.equal(request.url, '/prod/v1/tokens', 'the stage path is kept');
  t.same(JSON.parse(request.body), { value: 'a value' });
  t.match(
    request.headers.authorization,
    /^AWS4-HMAC-SHA256 Credential=AKIDCLIENTTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request, /,
  );
  t.equal(
    request.headers['x-amz-content-sha256'],
    createHash('sha256').update(request.body).digest('hex'),
    'the body hash is sent',
  );
  const expected = await recomputedAuthorization(request);
  t.ok(
    ['host', 'x-amz-date', 'x-amz-content-sha256', 'content-type'].every((name) =>
      expected.signedHeaders.includes(name),
    ),
    'host, date, body hash and content type are signed',
  );
  t.equal(request.headers.authorization, expected.authorization, 'the signature verifies');
});

t.test('session credentials: the token is sent and signed', async (t) => {
  const server = await startScriptedServer(t);
  server.answer({ status: 200, body: { status: 'ok' } });
  const credentials = { ...scriptedCredentials, sessionToken: 'a-session-token' };
  const { client } = scriptedClient(server.url, { credentials: async () => credentials });
  await client.live();
  const [request] = server.requests as [RecordedRequest];
  t.equal(request.headers['x-amz-security-token'], 'a-session-token');
  const expected = await recomputedAuthorization(request, credentials);
  t.ok(expected.signedHeaders.includes('x-amz-security-token'));
  t.equal(request.headers.authorization, expected.authorization);
});

t.test('credentials that cannot be found: TokenizerCredentialsError, nothing sent', async (t) => {
  const server = await startScriptedServer(t);
  const { client, attempts } = scriptedClient(server.url, {
    credentials: async () => {
      throw new Error('no credentials in this test');
    },
  });
  await t.rejects(client.live(), { name: 'TokenizerCredentialsError', kind: 'credentials' });
  t.equal(attempts.count, 0);
});

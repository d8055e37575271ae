import t, { type Test } from 'tap';
import { AuthenticationError, type AuthenticationFailure } from '../src/auth/authenticator.js';
import { type SignedRequest, SigV4Verifier } from '../src/auth/sigv4-authenticator.js';
import {
  assertNoCardNumberLogged,
  createTestStack,
  credentialsOf,
  type RequestToSign,
  signRequest,
  testCaller,
  testCallerNamed,
  testCardNumbers,
  testHost,
  testRegion,
} from './helpers/test-stack.js';

const [card] = testCardNumbers;
const now = new Date('2026-11-29T12:00:00.000Z');
const minutes = (n: number) => new Date(now.getTime() + n * 60_000);
const verifier = new SigV4Verifier({
  credentials: credentialsOf([testCaller]),
  region: testRegion,
  clock: () => now,
});
const body = JSON.stringify({ value: card });

/** A request signed by the test caller at `now`, as the verifier receives it. */
async function signed(overrides: Partial<RequestToSign> = {}): Promise<SignedRequest> {
  const request: RequestToSign = {
    method: 'POST',
    url: '/v1/tokens',
    headers: { host: testHost, 'content-type': 'application/json' },
    body,
    credentials: testCaller.credentials,
    date: now,
    region: testRegion,
    ...overrides,
  };
  const headers = await signRequest(request);
  return {
    method: request.method,
    url: request.url,
    headers,
    body: Buffer.from(request.body ?? ''),
  };
}

async function refusal(t: Test, request: SignedRequest): Promise<AuthenticationFailure | undefined> {
  try {
    await verifier.verify(request);
    return undefined;
  } catch (error) {
    t.type(error, AuthenticationError);
    return (error as AuthenticationError).reason;
  }
}

t.test('a request signed with @smithy/signature-v4 verifies to its principal', async (t) => {
  t.equal(await verifier.verify(await signed()), testCaller.principalArn, 'POST with body hash header');
  t.equal(
    await verifier.verify(await signed({ bodyHashHeader: false })),
    testCaller.principalArn,
    'without x-amz-content-sha256 the signature itself covers the body',
  );
  t.equal(
    await verifier.verify(
      await signed({ method: 'GET', url: '/v1/tokens/tok_x?b=2&a=1&a=0', body: undefined }),
    ),
    testCaller.principalArn,
    'GET with a query, repeated parameters',
  );
  t.equal(
    await verifier.verify(
      await signed({
        url: '/v1/tokens?note=a%20b%2Fc',
        headers: { host: testHost, 'content-type': 'application/json' },
      }),
    ),
    testCaller.principalArn,
    'percent-encoded query values',
  );
  const session = await signed({ credentials: { ...testCaller.credentials, sessionToken: 'session-token' } });
  t.ok(session.headers['x-amz-security-token'], 'session credentials send a security token');
  t.equal(await verifier.verify(session), testCaller.principalArn, 'a signed session token is accepted');
  t.equal(
    await verifier.verify(await signed({ date: minutes(-4.5) })),
    testCaller.principalArn,
    '4.5 min old',
  );
  t.equal(
    await verifier.verify(await signed({ date: minutes(4.5) })),
    testCaller.principalArn,
    '4.5 min ahead',
  );
});

t.test('the derived signing key is kept per access key and per day', async (t) => {
  // The verifier derives each key's kSigning once per signing date: across midnight, and for a second
  // access key, the next request must still be checked with its own key.
  const other = testCallerNamed('tokenizer-second-signer');
  let clock = new Date('2026-11-29T23:59:00.000Z');
  const daily = new SigV4Verifier({
    credentials: credentialsOf([testCaller, other]),
    region: testRegion,
    clock: () => clock,
  });
  const at = (date: Date, credentials = testCaller.credentials) => signed({ date, credentials });
  t.equal(daily.verify(await at(clock)), testCaller.principalArn, 'first key, first day');
  t.equal(daily.verify(await at(clock, other.credentials)), other.principalArn, 'second key, same day');
  clock = new Date('2026-11-30T00:01:00.000Z');
  t.equal(daily.verify(await at(clock)), testCaller.principalArn, 'first key, next day');
  t.equal(daily.verify(await at(clock, other.credentials)), other.principalArn, 'second key, next day');
  const wrongSecret = await at(clock, { ...testCaller.credentials, secretAccessKey: 'not-the-secret' });
  t.throws(() => daily.verify(wrongSecret), AuthenticationError, 'a wrong secret still fails');
});

t.test('unsigned, malformed, expired or foreign requests are refused with a reason', async (t) => {
  const valid = await signed();
  const without = (name: string) => {
    const headers = { ...valid.headers };
    delete headers[name];
    return { ...valid, headers };
  };
  const withHeader = (name: string, value: string) => ({
    ...valid,
    headers: { ...valid.headers, [name]: value },
  });
  const authorization = String(valid.headers.authorization);

  t.equal(await refusal(t, without('authorization')), 'missing-signature', 'no Authorization');
  t.equal(await refusal(t, without('x-amz-date')), 'malformed-signature', 'no X-Amz-Date');
  t.equal(await refusal(t, withHeader('authorization', 'Bearer abc')), 'malformed-signature', 'not SigV4');
  t.equal(
    await refusal(t, withHeader('authorization', authorization.replace(/Signature=\w+/, 'Signature=abc'))),
    'malformed-signature',
    'a short signature',
  );
  t.equal(
    await refusal(
      t,
      withHeader('authorization', authorization.replace('AWS4-HMAC-SHA256', 'AWS4-HMAC-SHA1')),
    ),
    'malformed-signature',
    'another algorithm',
  );
  t.equal(await refusal(t, withHeader('x-amz-date', '20261129T1200Z')), 'malformed-signature', 'bad date');
  t.equal(
    await refusal(t, withHeader('x-amz-date', '20261332T120000Z')),
    'malformed-signature',
    'no such date',
  );
  t.equal(await refusal(t, await signed({ date: minutes(-6) })), 'expired', 'signed 6 minutes ago');
  t.equal(await refusal(t, await signed({ date: minutes(6) })), 'expired', 'signed 6 minutes ahead');
  t.equal(await refusal(t, await signed({ region: 'eu-west-1' })), 'wrong-scope', 'another region');
  t.equal(await refusal(t, await signed({ service: 'lambda' })), 'wrong-scope', 'another service');
  t.equal(
    await refusal(t, withHeader('x-amz-date', '20261129T115900Z')),
    'signature-mismatch',
    'X-Amz-Date moved within the skew: the signature no longer matches',
  );
  t.equal(
    await refusal(t, withHeader('authorization', authorization.replace('/20261129/', '/20261128/'))),
    'wrong-scope',
    'credential scope of another day',
  );
  t.equal(
    await refusal(t, await signed({ credentials: testCallerNamed('stranger').credentials })),
    'unknown-access-key',
    'an access key the stack does not know',
  );
});

t.test('a signature only holds for the exact request: any change is refused', async (t) => {
  const valid = await signed();
  const hashless = await signed({ bodyHashHeader: false });
  const tampered = Buffer.from(JSON.stringify({ value: testCardNumbers[1] }));

  t.equal(await refusal(t, { ...valid, body: tampered }), 'body-hash-mismatch', 'body changed (hash header)');
  t.equal(
    await refusal(t, { ...hashless, body: tampered }),
    'signature-mismatch',
    'body changed (no header)',
  );
  t.equal(
    await refusal(t, { ...valid, headers: { ...valid.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } }),
    'body-hash-mismatch',
    'unsigned payloads are not accepted',
  );
  t.equal(await refusal(t, { ...valid, method: 'PUT' }), 'signature-mismatch', 'method changed');
  t.equal(await refusal(t, { ...valid, url: '/v1/tokens/batch' }), 'signature-mismatch', 'path changed');
  t.equal(await refusal(t, { ...valid, url: '/v1/tokens?x=1' }), 'signature-mismatch', 'query added');
  t.equal(
    await refusal(t, { ...valid, headers: { ...valid.headers, 'content-type': 'text/plain' } }),
    'signature-mismatch',
    'a signed header changed',
  );
  t.equal(
    await refusal(t, { ...valid, headers: { ...valid.headers, host: 'evil.test' } }),
    'signature-mismatch',
    'host changed',
  );
  const wrongSecret = await signed({
    credentials: { ...testCaller.credentials, secretAccessKey: 'not-the-secret-at-all' },
  });
  t.equal(await refusal(t, wrongSecret), 'signature-mismatch', 'signed with a wrong secret');
  t.equal(
    await verifier.verify({
      ...valid,
      headers: { ...valid.headers, 'user-agent': 'changed', 'x-forwarded-for': '1.2.3.4' },
    }),
    testCaller.principalArn,
    'headers outside the signature may change (proxies add them)',
  );
});

t.test('headers that change the meaning must be signed', async (t) => {
  const hostless = await signRequest({
    method: 'GET',
    url: '/health/live',
    headers: {},
    credentials: testCaller.credentials,
    date: now,
  });
  t.equal(
    await refusal(t, {
      method: 'GET',
      url: '/health/live',
      headers: { ...hostless, host: testHost },
      body: Buffer.alloc(0),
    }),
    'unsigned-header',
    'host not signed',
  );
  const hashless = await signed({ bodyHashHeader: false });
  t.equal(
    await refusal(t, {
      ...hashless,
      headers: {
        ...hashless.headers,
        'x-amz-content-sha256': String((await signed()).headers['x-amz-content-sha256']),
      },
    }),
    'unsigned-header',
    'x-amz-content-sha256 added after signing',
  );
  t.equal(
    await refusal(t, { ...hashless, headers: { ...hashless.headers, 'x-amz-security-token': 'stolen' } }),
    'unsigned-header',
    'a security token added after signing',
  );
  const valid = await signed();
  const headers = { ...valid.headers };
  delete headers['content-type'];
  t.equal(await refusal(t, { ...valid, headers }), 'malformed-signature', 'a signed header is missing');
});

t.test('what the signature is computed from must be unambiguous', async (t) => {
  const valid = await signed({ method: 'GET', url: '/v1/tokens/tok_x?a=1', body: undefined });
  const withHeaders = (headers: SignedRequest['headers']) => ({
    ...valid,
    headers: { ...valid.headers, ...headers },
  });
  const amzDate = String(valid.headers['x-amz-date']);
  t.equal(
    await refusal(t, withHeaders({ 'x-amz-date': [amzDate, amzDate] })),
    'malformed-signature',
    'X-Amz-Date sent twice',
  );
  const authorization = String(valid.headers.authorization);
  t.equal(
    await refusal(t, withHeaders({ authorization: [authorization, authorization] })),
    'malformed-signature',
    'Authorization sent twice',
  );
  t.equal(
    await refusal(
      t,
      withHeaders({
        authorization: authorization.replace(
          /SignedHeaders=([^,]+)/,
          (_, list: string) => `SignedHeaders=${list.split(';').reverse().join(';')}`,
        ),
      }),
    ),
    'malformed-signature',
    'SignedHeaders out of order',
  );
  const { 'x-amz-date': _dropped, ...dateless } = valid.headers;
  t.equal(
    await refusal(t, { ...valid, headers: { ...dateless, date: 'Sun, 29 Nov 2026 12:00:00 GMT' } }),
    'unsigned-header',
    'a Date header the signature does not cover',
  );
  t.equal(
    await refusal(t, { ...valid, headers: { ...dateless, date: 'Sun, 31 Nov 2026 12:00:00 GMT' } }),
    'malformed-signature',
    'a Date that does not exist',
  );
  t.equal(
    await refusal(t, { ...valid, url: `${valid.url}&X-Amz-Signature=${'0'.repeat(64)}` }),
    'signature-mismatch',
    'a query parameter added after signing, even one named X-Amz-Signature',
  );
});

t.test('over HTTP: a path with empty, "." or ".." segments is refused before routing', async (t) => {
  const { injectAs } = await createTestStack(t);
  // The signature covers the normalised path, as AWS computes it; the router would see another one.
  const dotted = await injectAs(testCaller, { method: 'GET', url: '/health//live' });
  t.equal(dotted.statusCode, 401);
  t.match(dotted.json(), { detail: 'The request path must not contain empty, "." or ".." segments.' });
  t.equal((await injectAs(testCaller, { method: 'GET', url: '/health/live' })).statusCode, 200);
});

t.test('over HTTP: refusals are 401 problems that echo nothing', async (t) => {
  const { app, inject, injectAs, tableName } = await createTestStack(t);
  const problemOf = async (response: {
    statusCode: number;
    headers: Record<string, unknown>;
    body: string;
  }) => {
    t.equal(response.statusCode, 401);
    t.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
    t.equal(response.headers['www-authenticate'], 'AWS4-HMAC-SHA256');
    t.notOk(response.body.includes(card), 'no value');
    t.notOk(response.body.includes(testCaller.credentials.accessKeyId), 'no access key id');
    t.notOk(response.body.includes(tableName), 'no internals');
    return JSON.parse(response.body);
  };

  const unsigned = await app.inject({ method: 'POST', url: '/v1/tokens', payload: { value: card } });
  t.match(await problemOf(unsigned), {
    type: 'urn:tokenization:problem:unauthenticated',
    title: 'Unauthorized',
    status: 401,
    detail: 'The request is not signed.',
  });

  const badJson = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: { 'content-type': 'application/json' },
    payload: '{"value":',
  });
  t.equal(
    (await problemOf(badJson)).detail,
    'The request is not signed.',
    'strangers get 401 before parsing',
  );

  const unknownRoute = await app.inject({ method: 'GET', url: '/v1/nothing' });
  t.equal(unknownRoute.statusCode, 401, 'unknown routes need a signature too');
  t.equal((await inject({ method: 'GET', url: '/v1/nothing' })).statusCode, 404, 'signed: 404');

  const expired = await injectAs(
    testCaller,
    { method: 'GET', url: '/health/live' },
    { date: minutes(-60 * 24 * 365) },
  );
  t.equal((await problemOf(expired)).detail, 'The request signature is expired or not yet valid.');

  const signedHeaders = await signRequest({
    method: 'POST',
    url: '/v1/tokens',
    headers: { host: testHost, 'content-type': 'application/json' },
    body,
    credentials: testCaller.credentials,
    region: testRegion,
  });
  const tampered = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: signedHeaders,
    payload: JSON.stringify({ value: testCardNumbers[1] }),
  });
  t.equal((await problemOf(tampered)).detail, 'The request signature is not valid.', 'tampered body');

  const wrongSecret = await injectAs(
    {
      ...testCaller,
      credentials: { ...testCaller.credentials, secretAccessKey: 'wrong-secret-wrong-secret' },
    },
    { method: 'POST', url: '/v1/tokens', payload: { value: card } },
  );
  t.equal((await problemOf(wrongSecret)).detail, 'The request signature is not valid.', 'wrong secret');

  const { authorization, ...noAuthorization } = signedHeaders;
  const missing = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: noAuthorization,
    payload: body,
  });
  t.equal((await problemOf(missing)).detail, 'The request is not signed.', 'signature headers stripped');
  t.ok(authorization, 'the stripped header existed');

  const accepted = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: signedHeaders,
    payload: body,
  });
  t.equal(accepted.statusCode, 201, 'the untouched request is accepted');
});

t.test('oversized bodies get 413 before any signature work; bodies under the limit verify', async (t) => {
  const { inject, app } = await createTestStack(t, { env: { BODY_LIMIT_BYTES: '2048' } });
  const large = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'x'.repeat(4000) } });
  t.equal(large.statusCode, 413);
  const unsignedLarge = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: 'x'.repeat(4000) },
  });
  t.equal(unsignedLarge.statusCode, 413);
  const small = await inject({ method: 'POST', url: '/v1/tokens', payload: { value: 'x'.repeat(1000) } });
  t.equal(small.statusCode, 201);
});

assertNoCardNumberLogged(t);

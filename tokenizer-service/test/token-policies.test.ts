import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { passesLuhn } from '@tokenization/service-kit/card';
import t from 'tap';
import { assertNoCardNumberLogged, createTestStack, testCardNumbers } from './helpers/test-stack.js';

const [visa, mastercard, amex, discover, jcb] = testCardNumbers;

t.test('format-preserving card tokens', async (t) => {
  const { inject } = await createTestStack(t);
  const tokenize = (payload: object) => inject({ method: 'POST', url: '/v1/tokens', payload });

  const last4 = await tokenize({
    value: '4111 1111-1111 1111',
    type: 'card_number',
    format: 'format_preserving',
  });
  t.equal(last4.statusCode, 201);
  const { token, card, format, type } = last4.json();
  t.match(token, /^\d{16}$/, 'as many digits as the card');
  t.equal(token.slice(-4), '1111', 'keeps the last four');
  t.notOk(passesLuhn(token), 'fails the Luhn check');
  t.not(token, visa);
  t.same(
    { card, format, type },
    { card: { last4: '1111', brand: 'visa' }, format: 'format_preserving', type: 'card_number' },
  );

  const revealed = await inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  t.same(revealed.json().results, [{ token, value: visa }], 'reveals the normalised number');

  const first6 = await tokenize({
    value: mastercard,
    type: 'card_number',
    format: 'format_preserving',
    preserve: 'first6_last4',
  });
  t.equal(first6.json().token.slice(0, 6), '555555');
  t.equal(first6.json().token.slice(-4), '4444');

  const rejected = [
    [{ value: '4111111111111112', type: 'card_number' }, '/body/value', 'fails Luhn'],
    [{ value: '41111', type: 'card_number' }, '/body/value', 'too short'],
    [{ value: 'hello', format: 'format_preserving' }, '/body/format', 'not a card'],
    [
      { value: amex, type: 'card_number', format: 'format_preserving', preserve: 'first6_last4' },
      '/body/preserve',
      '15 digits keep too much',
    ],
    [{ value: visa, type: 'card_number', preserve: 'last4' }, '/body/preserve', 'preserve without format'],
  ] as const;
  for (const [payload, field, name] of rejected) {
    const response = await tokenize(payload);
    t.equal(response.statusCode, 400, name);
    t.equal(response.json().errors[0].field, field, `${name}: names ${field}`);
    t.notOk(response.body.includes(visa) || response.body.includes(amex), `${name}: no value echoed`);
  }
});

t.test('card facts: last four and brand come back with every card number', async (t) => {
  const { inject } = await createTestStack(t);
  const response = await inject({
    method: 'POST',
    url: '/v1/tokens/batch',
    payload: {
      items: [visa, mastercard, amex, discover, jcb].map((value) => ({ value, type: 'card_number' })),
    },
  });
  t.same(
    response.json().results.map((result: { card: unknown }) => result.card),
    [
      { last4: '1111', brand: 'visa' },
      { last4: '4444', brand: 'mastercard' },
      { last4: '0005', brand: 'amex' },
      { last4: '1117', brand: 'discover' },
      { last4: '0000', brand: 'jcb' },
    ],
  );
  const metadata = await inject({ method: 'GET', url: `/v1/tokens/${response.json().results[0].token}` });
  t.same(metadata.json().card, { last4: '1111', brand: 'visa' }, 'and with the metadata');
});

t.test('a batch answers a bad item alone and tokenizes the others', async (t) => {
  const { inject } = await createTestStack(t);
  const response = await inject({
    method: 'POST',
    url: '/v1/tokens/batch',
    payload: {
      items: [
        { value: visa, type: 'card_number' },
        { value: '1234567890123', type: 'card_number' },
        { value: 'x', deterministic: true, maxUses: 1 },
        { value: 'plain' },
      ],
    },
  });
  t.equal(response.statusCode, 200);
  const [first, second, third, fourth] = response.json().results;
  t.ok(first.token);
  t.equal(second.error.code, 'invalid_value');
  t.equal(third.error.code, 'invalid_options');
  t.ok(fourth.token);
});

t.test(
  'deterministic tokens: one token per value and tenant, even under 50 concurrent requests',
  async (t) => {
    const tenantA = await createTestStack(t);
    const tenantB = await createTestStack(t, { shareWith: tenantA, tenant: 'tenant-b' });
    const request = {
      method: 'POST',
      url: '/v1/tokens',
      payload: { value: visa, type: 'card_number', deterministic: true },
    } as const;

    const responses = await Promise.all(Array.from({ length: 50 }, () => tenantA.inject(request)));
    t.ok(
      responses.every((response) => response.statusCode === 201),
      'all succeed',
    );
    const tokens = new Set(responses.map((response) => response.json().token));
    t.equal(tokens.size, 1, 'exactly one token');
    const [token] = tokens;
    t.equal(responses[0]?.json().deterministic, true);

    const again = await tenantA.inject({
      ...request,
      payload: { ...request.payload, value: '4111-1111-1111-1111' },
    });
    t.equal(again.json().token, token, 'the same number, typed differently, maps to the same token');
    const otherTenant = await tenantB.inject(request);
    t.not(otherTenant.json().token, token, 'another tenant gets its own token');
    const otherFormat = await tenantA.inject({
      ...request,
      payload: { ...request.payload, format: 'format_preserving' },
    });
    t.not(otherFormat.json().token, token, 'another token format is another token');

    const { Items = [] } = await tenantA.dynamoDb.send(new ScanCommand({ TableName: tenantA.tableName }));
    const fingerprints = Items.filter((item) => item.pk?.S?.startsWith('fingerprint#default#'));
    t.equal(fingerprints.length, 2, 'one fingerprint entry per (value, format) in tenant A');
    t.notOk(JSON.stringify(Items).includes(visa), 'no item holds the number');
    t.notOk(
      Items.some((item) => item.pk?.S === 'key#fingerprint-hmac'),
      'no vault-wide HMAC key is made: the keys derive from the branch key versions',
    );
    t.ok(
      fingerprints.every((item) => /^fingerprint#default#[0-9a-f-]{36}\./.test(item.pk?.S ?? '')),
      'each fingerprint names its branch key version',
    );

    const deleted = await tenantA.inject({ method: 'DELETE', url: `/v1/tokens/${token}` });
    t.equal(deleted.statusCode, 204);
    const fresh = await tenantA.inject(request);
    t.equal(fresh.statusCode, 201);
    t.not(fresh.json().token, token, 'after delete, the value gets a new token');

    const contradictory = await tenantA.inject({
      ...request,
      payload: { ...request.payload, ttlSeconds: 60 },
    });
    t.equal(contradictory.statusCode, 400);
    t.equal(contradictory.json().errors[0].field, '/body/ttlSeconds');
  },
);

t.test('expiry: an expired token answers expired at once and carries the TTL attribute', async (t) => {
  let now = new Date('2026-01-01T00:00:00.000Z');
  const { inject, dynamoDb, tableName } = await createTestStack(t, { clock: () => now });
  const created = await inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: visa, ttlSeconds: 60 },
  });
  const { token, expiresAt } = created.json();
  t.equal(expiresAt, '2026-01-01T00:01:00.000Z');
  const reveal = () => inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } });
  t.equal((await reveal()).json().results[0].value, visa, 'valid before expiry');

  const { Items = [] } = await dynamoDb.send(new ScanCommand({ TableName: tableName }));
  t.equal(
    Items.find((item) => item.pk?.S?.startsWith('token#'))?.expiresAt?.N,
    String(Date.parse('2026-01-01T00:01:00.000Z') / 1000),
    'TTL attribute in epoch seconds',
  );

  now = new Date('2026-01-01T00:01:00.000Z');
  t.equal(
    (await reveal()).json().results[0].error.code,
    'expired',
    'expired at the second, without waiting for TTL',
  );
  const metadata = await inject({ method: 'GET', url: `/v1/tokens/${token}` });
  t.equal(metadata.json().status, 'expired');
  const masked = await inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [token], reveal: 'masked' },
  });
  t.equal(masked.json().results[0].error.code, 'expired', 'not even masked');
});

t.test('usage limits: full reveals spend uses; masked ones do not', async (t) => {
  const { inject } = await createTestStack(t);
  const { token } = (
    await inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa, maxUses: 2 } })
  ).json();
  const reveal = (reveal: 'full' | 'masked') =>
    inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token], reveal } });
  t.equal((await reveal('masked')).json().results[0].value, '************1111');
  t.equal((await reveal('full')).json().results[0].value, visa);
  t.equal((await inject({ method: 'GET', url: `/v1/tokens/${token}` })).json().usesRemaining, 1);
  t.equal((await reveal('full')).json().results[0].value, visa);
  t.equal((await reveal('full')).json().results[0].error.code, 'exhausted');
  t.equal((await reveal('masked')).json().results[0].value, '************1111', 'masked still works');
  const metadata = (await inject({ method: 'GET', url: `/v1/tokens/${token}` })).json();
  t.same([metadata.status, metadata.maxUses, metadata.usesRemaining], ['exhausted', 2, 0]);
});

t.test('a one-time token is revealed exactly once by 20 concurrent requests', async (t) => {
  const { inject } = await createTestStack(t);
  const { token } = (
    await inject({ method: 'POST', url: '/v1/tokens', payload: { value: mastercard, maxUses: 1 } })
  ).json();
  const responses = await Promise.all(
    Array.from({ length: 20 }, () =>
      inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens: [token] } }),
    ),
  );
  const results = responses.map((response) => response.json().results[0]);
  t.equal(results.filter((result) => result.value === mastercard).length, 1, 'one reveal');
  t.equal(results.filter((result) => result.error?.code === 'exhausted').length, 19, 'nineteen exhausted');

  const limited = async (value: string, maxUses: number) =>
    (await inject({ method: 'POST', url: '/v1/tokens', payload: { value, maxUses } })).json().token as string;
  const answers = async (tokens: string[]) =>
    (await inject({ method: 'POST', url: '/v1/detokenize', payload: { tokens } }))
      .json()
      .results.map(
        (result: { value?: string; error?: { code: string } }) => result.value ?? result.error?.code,
      );

  const twice = await limited(visa as string, 1);
  t.same(
    await answers([twice, twice]),
    [visa, 'exhausted'],
    'a token repeated in one request is a second reveal',
  );

  // Uses of one token are spent in request order, so the earliest occurrences get the reveals, whatever
  // the other tokens of the request do.
  const two = await limited(amex as string, 2);
  const one = await limited(discover as string, 1);
  t.same(
    await answers([two, one, two, one, two, one]),
    [amex, discover, amex, 'exhausted', 'exhausted', 'exhausted'],
    'the first occurrences in request order get the reveals',
  );
});

t.test('masked reveals and metadata', async (t) => {
  const { inject } = await createTestStack(t);
  const card = (
    await inject({ method: 'POST', url: '/v1/tokens', payload: { value: visa, type: 'card_number' } })
  ).json().token;
  const text = (
    await inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { value: 'Jane Q. Public', metadata: { purpose: 'kyc', 'customer.id': 'c-42' } },
    })
  ).json().token;
  const masked = await inject({
    method: 'POST',
    url: '/v1/detokenize',
    payload: { tokens: [card, text], reveal: 'masked', showFirst6: true },
  });
  t.same(
    masked.json().results.map((result: { value: string }) => result.value),
    ['411111******1111', '**********blic'],
  );
  const metadata = await inject({ method: 'GET', url: `/v1/tokens/${text}` });
  t.same(metadata.json().metadata, { purpose: 'kyc', 'customer.id': 'c-42' });

  for (const [metadataValue, name] of [
    [Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])), 'more than 16 entries'],
    [{ 'bad key!': 'v' }, 'key outside the pattern'],
    [{ note: 'x'.repeat(257) }, 'value over 256 characters'],
    [{ note: 5 }, 'value not a string'],
  ] as const) {
    const response = await inject({
      method: 'POST',
      url: '/v1/tokens',
      payload: { value: 'v', metadata: metadataValue },
    });
    t.equal(response.statusCode, 400, name);
    t.match(response.json().errors[0].field, /^\/body\/metadata/, `${name}: names the metadata field`);
  }
});

assertNoCardNumberLogged(t);

// The vault's policies on in-memory parts (fast tier): the fake store keeps the DynamoDB adapter's
// conditions, the cipher is the real Encryption SDK one under a raw AES key.
import { passesLuhn } from '@tokenization/service-kit/card';
import t, { type Test } from 'tap';
import {
  DependencyUnavailableError,
  IntegrityError,
  InvalidItemError,
  TokenNotFoundError,
} from '../../src/domain/errors.js';
import { fastVault } from '../helpers/fast-vault.js';

const tenant = 'tenant-a';

/** Asserts the promise rejects with an InvalidItemError naming `field`. */
async function rejectsNaming(t: Test, promise: Promise<unknown>, field: string, name = `names ${field}`) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  t.ok(error instanceof InvalidItemError, `${name}: an InvalidItemError`);
  t.equal((error as InvalidItemError | undefined)?.field, field, name);
}
const visa = '4111111111111111';
const mastercard = '5555555555554444';

t.test('expiry: a token reveals until its ttl, then answers expired', async (t) => {
  const { vault, advance } = fastVault();
  const { token, expiresAt } = await vault.tokenize(tenant, { value: 'secret', ttlSeconds: 60 });
  t.equal(expiresAt?.toISOString(), '2026-01-31T12:01:00.000Z', 'created time plus ttl');
  t.same(await vault.detokenize(tenant, [token]), [{ token, value: 'secret' }]);
  advance(59);
  t.same(await vault.detokenize(tenant, [token]), [{ token, value: 'secret' }], 'one second before');
  advance(1);
  const [expired] = await vault.detokenize(tenant, [token]);
  t.match(expired, { token, error: { code: 'expired' } }, 'at the expiry');
  t.notOk(JSON.stringify(expired).includes('secret'), 'no value in the answer');
  t.equal((await vault.metadata(tenant, token)).status, 'expired');
  const [masked] = await vault.detokenize(tenant, [token], { reveal: 'masked' });
  t.match(masked, { error: { code: 'expired' } }, 'not even masked');
});

t.test('uses: full reveals spend a use, masked ones do not, and none is left after maxUses', async (t) => {
  const { vault } = fastVault();
  const { token } = await vault.tokenize(tenant, { value: visa, type: 'card_number', maxUses: 2 });
  t.same(await vault.detokenize(tenant, [token], { reveal: 'masked' }), [
    { token, value: '************1111' },
  ]);
  t.equal((await vault.metadata(tenant, token)).usesRemaining, 2, 'masked reveal spent nothing');
  t.same(await vault.detokenize(tenant, [token]), [{ token, value: visa }]);
  t.same(await vault.detokenize(tenant, [token]), [{ token, value: visa }]);
  t.match(await vault.detokenize(tenant, [token]), [{ token, error: { code: 'exhausted' } }]);
  const metadata = await vault.metadata(tenant, token);
  t.same([metadata.status, metadata.usesRemaining], ['exhausted', 0]);
  t.same(
    await vault.detokenize(tenant, [token], { reveal: 'masked' }),
    [{ token, value: '************1111' }],
    'an exhausted token still shows masked',
  );
});

t.test(
  'a token repeated in one request spends one use per occurrence, first come first served',
  async (t) => {
    const { vault } = fastVault();
    const { token } = await vault.tokenize(tenant, { value: 'once-or-twice', maxUses: 2 });
    const { token: other } = await vault.tokenize(tenant, { value: 'other' });
    const results = await vault.detokenize(tenant, [token, other, token, token, 'missing']);
    t.same(results.slice(0, 3), [
      { token, value: 'once-or-twice' },
      { token: other, value: 'other' },
      { token, value: 'once-or-twice' },
    ]);
    t.match(results[3], { token, error: { code: 'exhausted' } }, 'the third occurrence finds none left');
    t.match(results[4], { token: 'missing', error: { code: 'not_found' } });
  },
);

t.test('deterministic: one token per value and scope, anew after delete, one under a race', async (t) => {
  const { vault, store } = fastVault();
  const first = await vault.tokenize(tenant, { value: visa, type: 'card_number', deterministic: true });
  const again = await vault.tokenize(tenant, {
    value: '4111 1111 1111 1111',
    type: 'card_number',
    deterministic: true,
  });
  t.equal(again.token, first.token, 'the same card, however written');
  t.ok(first.deterministic);
  const generic = await vault.tokenize(tenant, { value: visa, deterministic: true });
  t.not(generic.token, first.token, 'another type is another scope');
  const otherTenant = await vault.tokenize('tenant-b', {
    value: visa,
    type: 'card_number',
    deterministic: true,
  });
  t.not(otherTenant.token, first.token, 'another tenant, another token');

  await vault.delete(tenant, first.token);
  const renewed = await vault.tokenize(tenant, { value: visa, type: 'card_number', deterministic: true });
  t.not(renewed.token, first.token, 'a deleted token is not handed out again');

  // A fingerprint entry whose token vanished (deleted by hand) is released and the value tokenized anew.
  store.items.delete(`${tenant} ${renewed.token}`);
  const afterStale = await vault.tokenize(tenant, { value: visa, type: 'card_number', deterministic: true });
  t.not(afterStale.token, renewed.token);
  t.same(await vault.detokenize(tenant, [afterStale.token]), [{ token: afterStale.token, value: visa }]);

  const raced = await Promise.all(
    Array.from({ length: 5 }, () =>
      vault.tokenize(tenant, { value: mastercard, type: 'card_number', deterministic: true }),
    ),
  );
  t.equal(new Set(raced.map((result) => result.token)).size, 1, 'concurrent requests get one token');

  for (const [options, field] of [
    [{ ttlSeconds: 60 }, 'ttlSeconds'],
    [{ maxUses: 1 }, 'maxUses'],
    [{ format: 'format_preserving', preserve: 'first6_last4' }, 'preserve'],
  ] as const) {
    const refused = vault.tokenize(tenant, {
      value: visa,
      type: 'card_number',
      deterministic: true,
      ...options,
    });
    await rejectsNaming(t, refused, field, `deterministic with ${field}`);
  }
});

t.test(
  'format-preserving: the card shape, its last four (and first six if asked), never Luhn-valid',
  async (t) => {
    const { vault } = fastVault();
    for (let round = 0; round < 20; round++) {
      const { token, card } = await vault.tokenize(tenant, {
        value: visa,
        type: 'card_number',
        format: 'format_preserving',
      });
      t.match(token, /^\d{12}1111$/);
      t.notOk(passesLuhn(token), 'a token is never mistaken for a card');
      t.same(card, { last4: '1111', brand: 'visa' });
    }
    const { token } = await vault.tokenize(tenant, {
      value: mastercard,
      type: 'card_number',
      format: 'format_preserving',
      preserve: 'first6_last4',
    });
    t.match(token, /^555555\d{6}4444$/);
    t.same(await vault.detokenize(tenant, [token]), [{ token, value: mastercard }]);
    await rejectsNaming(t, vault.tokenize(tenant, { value: 'hello', format: 'format_preserving' }), 'format');
    await rejectsNaming(
      t,
      vault.tokenize(tenant, {
        value: '378282246310005',
        type: 'card_number',
        format: 'format_preserving',
        preserve: 'first6_last4',
      }),
      'preserve',
      'a 15-digit card would keep too few random digits',
    );
    await rejectsNaming(
      t,
      vault.tokenize(tenant, { value: '4111111111111112', type: 'card_number' }),
      'value',
    );
  },
);

t.test('metadata holding a card number is refused, naming the field and never the number', async (t) => {
  const { vault, store } = fastVault();
  const holders: Record<string, string>[] = [
    { note: `card ${visa} here` },
    { [visa]: 'x' },
    { note: '4111-1111-1111-1111' },
  ];
  for (const metadata of holders) {
    const error = await vault.tokenize(tenant, { value: 'v', metadata }).catch((caught: unknown) => caught);
    t.ok(error instanceof InvalidItemError);
    t.match(error, { code: 'invalid_options', field: 'metadata' });
    t.notOk(String((error as Error).message).match(/\d{4}/), 'no digits of the card in the message');
  }
  t.equal(store.items.size, 0, 'nothing stored');
  const batch = await vault.tokenizeBatch(tenant, [{ value: 'a' }, { value: 'b', metadata: { n: visa } }]);
  t.match(
    batch,
    [{ token: String }, { error: { code: 'invalid_options' } }],
    'in a batch, only that item fails',
  );
});

t.test('integrity: a moved, altered or rewritten record is refused', async (t) => {
  const { vault, store } = fastVault();
  const limited = await vault.tokenize(tenant, { value: 'limited', maxUses: 1 });
  const plain = await vault.tokenize(tenant, { value: 'plain', metadata: { k: 'v' } });
  const expiring = await vault.tokenize(tenant, { value: 'expiring', ttlSeconds: 60 });

  store.moveItem({ tenant, token: plain.token }, { tenant, token: 'moved' });
  t.match(await vault.detokenize(tenant, ['moved']), [{ error: { code: 'integrity_error' } }], 'moved as is');
  await t.rejects(vault.metadata(tenant, 'moved'), IntegrityError);

  store.moveItem({ tenant, token: plain.token }, { tenant: 'tenant-b', token: plain.token });
  store.item('tenant-b', plain.token).stored = { tenant: 'tenant-b', token: plain.token };
  t.match(
    await vault.detokenize('tenant-b', [plain.token]),
    [{ error: { code: 'integrity_error' } }],
    'moved to another tenant with its attributes rewritten: the seal names the first',
  );

  store.item(tenant, limited.token).record.maxUses = 100;
  t.match(
    await vault.detokenize(tenant, [limited.token]),
    [{ error: { code: 'integrity_error' } }],
    'maxUses raised',
  );
  store.item(tenant, limited.token).record.maxUses = 1;
  store.item(tenant, limited.token).record.usesSpent = -5;
  t.match(
    await vault.detokenize(tenant, [limited.token]),
    [{ error: { code: 'integrity_error' } }],
    'counter wound back',
  );
  store.item(tenant, limited.token).record.usesSpent = 0;
  t.same(
    await vault.detokenize(tenant, [limited.token]),
    [{ token: limited.token, value: 'limited' }],
    'restored',
  );

  const expiringItem = store.item(tenant, expiring.token).record;
  expiringItem.expiresAt = new Date('2099-01-01T00:00:00.000Z');
  t.match(
    await vault.detokenize(tenant, [expiring.token]),
    [{ error: { code: 'integrity_error' } }],
    'expiry extended',
  );
  delete expiringItem.expiresAt;
  t.match(
    await vault.detokenize(tenant, [expiring.token]),
    [{ error: { code: 'integrity_error' } }],
    'expiry removed',
  );

  store.item(tenant, plain.token).record.metadata = { k: 'changed' };
  await t.rejects(vault.metadata(tenant, plain.token), IntegrityError, 'metadata altered');
  await t.rejects(
    vault.delete(tenant, plain.token),
    IntegrityError,
    'an altered record is not deleted either',
  );

  const ciphertext = store.item(tenant, expiring.token).record.ciphertext;
  ciphertext[ciphertext.length - 1] = (ciphertext[ciphertext.length - 1] ?? 0) ^ 1;
  t.match(
    await vault.detokenize(tenant, [expiring.token]),
    [{ error: { code: 'integrity_error' } }],
    'ciphertext flipped',
  );
});

t.test('integrity: a fingerprint entry naming another token is refused', async (t) => {
  const { vault, store } = fastVault();
  const deterministic = await vault.tokenize(tenant, { value: 'same', deterministic: true });
  const other = await vault.tokenize(tenant, { value: 'other' });
  for (const [entry, token] of store.fingerprints) {
    if (token === deterministic.token) store.fingerprints.set(entry, other.token);
  }
  await t.rejects(vault.tokenize(tenant, { value: 'same', deterministic: true }), IntegrityError);
});

t.test('a missing token is not found, and a store outage fails the whole request', async (t) => {
  const { vault, store } = fastVault();
  await t.rejects(vault.metadata(tenant, 'nope'), TokenNotFoundError);
  await t.rejects(vault.delete(tenant, 'nope'), TokenNotFoundError);
  store.down = true;
  await t.rejects(vault.tokenize(tenant, { value: 'v' }), DependencyUnavailableError);
  await t.rejects(vault.tokenizeBatch(tenant, [{ value: 'v' }]), DependencyUnavailableError);
  await t.rejects(vault.detokenize(tenant, ['x']), DependencyUnavailableError);
});

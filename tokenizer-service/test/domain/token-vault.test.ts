// Domain rules of the vault that need a store misbehaving on purpose (every token taken), which a real
// store cannot be made to do: a recording test double of the VaultStore port.
import t from 'tap';
import { TokenSpaceExhaustedError } from '../../src/domain/errors.js';
import { TokenCollisionError, type VaultStore } from '../../src/domain/ports.js';
import { TokenVault } from '../../src/domain/vault.js';

function vaultWithFullTokenSpace() {
  let attempts = 0;
  const store = {
    create: async () => {
      attempts++;
      throw new TokenCollisionError();
    },
  } as unknown as VaultStore;
  const vault = new TokenVault({
    store,
    cipher: {
      encrypt: async () => ({ ciphertext: new Uint8Array(1) }),
      decrypt: async () => ({ value: '' }),
      checkHealth: async () => {},
    },
    fingerprinter: { fingerprints: async () => ({ active: 'fp', earlier: [] }) },
    clock: () => new Date(),
    maxCollisionRetries: 4,
  });
  return { vault, attempts: () => attempts };
}

t.test('when every token tried is taken, tokenize says the space is exhausted', async (t) => {
  const { vault, attempts } = vaultWithFullTokenSpace();
  await t.rejects(
    vault.tokenize('acme', { value: '4111111111111111', type: 'card_number', format: 'format_preserving' }),
    TokenSpaceExhaustedError,
  );
  t.equal(attempts(), 5, 'one try and four retries, each with a fresh token');
});

t.test('in a batch, an exhausted item fails alone', async (t) => {
  const { vault } = vaultWithFullTokenSpace();
  const [result] = await vault.tokenizeBatch('acme', [
    { value: '4111111111111111', type: 'card_number', format: 'format_preserving' },
  ]);
  t.same(result, {
    error: {
      code: 'token_space_exhausted',
      message: 'No unused format-preserving token could be found for this value.',
    },
  });
});

/**
 * A fake store holding one one-time token whose first spend answers last (as a slow DynamoDB request
 * might), so spends issued together would finish in the wrong order. Whichever spend finishes first takes
 * the use, as a conditional update does.
 */
function vaultWithSlowFirstSpend() {
  let usesLeft = 1;
  let spends = 0;
  const record = {
    tenant: 'acme',
    token: 'tok_once',
    ciphertext: new Uint8Array(1),
    createdAt: new Date(0),
    type: 'generic',
    format: 'random',
    metadata: {},
    maxUses: 1,
    usesSpent: 0,
  };
  const store = {
    getMany: async () => new Map([[record.token, record]]),
    spendUse: async () => {
      spends++;
      if (spends === 1) for (let turn = 0; turn < 20; turn++) await new Promise(setImmediate);
      if (usesLeft === 0) return 'exhausted';
      usesLeft--;
      return 'used';
    },
  } as unknown as VaultStore;
  return new TokenVault({
    store,
    cipher: {
      encrypt: async () => ({ ciphertext: new Uint8Array(1) }),
      decrypt: async () => ({ value: 'secret' }),
      checkHealth: async () => {},
    },
    fingerprinter: { fingerprints: async () => ({ active: 'fp', earlier: [] }) },
    clock: () => new Date(),
  });
}

t.test(
  'a token repeated in one request spends its uses in request order: the first occurrence reveals',
  async (t) => {
    const vault = vaultWithSlowFirstSpend();
    const results = await vault.detokenize('acme', ['tok_once', 'tok_once']);
    t.same(
      results.map((result) => ('value' in result ? result.value : result.error.code)),
      ['secret', 'exhausted'],
    );
  },
);

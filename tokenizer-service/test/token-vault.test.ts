// Domain rules of the vault that need a store misbehaving on purpose (every token taken), which a real
// store cannot be made to do: a recording test double of the VaultStore port.
import t from 'tap';
import { TokenSpaceExhaustedError } from '../src/domain/errors.js';
import { TokenCollisionError, type VaultStore } from '../src/domain/ports.js';
import { TokenVault } from '../src/domain/vault.js';

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
    cipher: { encrypt: async () => new Uint8Array(1), decrypt: async () => '', checkHealth: async () => {} },
    fingerprinter: { fingerprint: async () => 'fp' },
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

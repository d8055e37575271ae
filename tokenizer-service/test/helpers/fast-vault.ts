// A TokenVault on in-process parts for the fast tier: the fake store, the real Encryption SDK cipher under a
// raw AES keyring (no KMS, same sealing of the token's facts), an HMAC fingerprinter under a random key,
// and a clock the test moves.
import { createHmac, randomBytes } from 'node:crypto';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { EncryptionSdkCipher } from '../../src/adapters/encryption-sdk-cipher.js';
import type { Fingerprinter } from '../../src/domain/ports.js';
import { TokenVault } from '../../src/domain/vault.js';
import { FakeVaultStore } from './fake-vault-store.js';

/** A fake of the KMS-backed fingerprinter: a keyed HMAC like it, under a key that never leaves memory. */
export class FakeFingerprinter implements Fingerprinter {
  readonly #key = randomBytes(32);

  async fingerprint(tenant: string, scope: string, value: string): Promise<string> {
    return createHmac('sha256', this.#key)
      .update(JSON.stringify([tenant, scope, value]))
      .digest('base64url');
  }
}

export interface FastVault {
  vault: TokenVault;
  store: FakeVaultStore;
  /** Moves the vault's clock forward. */
  advance(seconds: number): void;
}

export function fastVault(options: { maxCollisionRetries?: number } = {}): FastVault {
  const keyring = new RawAesKeyringNode({
    keyName: 'fast-tier',
    keyNamespace: 'test',
    unencryptedMasterKey: randomBytes(32),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  const cipher = new EncryptionSdkCipher({ keyring, cache: false, checkKeyHealth: async () => {} });
  const store = new FakeVaultStore();
  let now = new Date('2026-01-31T12:00:00.000Z').getTime();
  const vault = new TokenVault({
    store,
    cipher,
    fingerprinter: new FakeFingerprinter(),
    clock: () => new Date(now),
    ...options,
  });
  return {
    vault,
    store,
    advance(seconds) {
      now += seconds * 1000;
    },
  };
}

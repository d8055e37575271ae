// A TokenVault on in-process parts for the fast tier: the fake store, the real Encryption SDK cipher under a
// raw AES keyring (no KMS; the legacy format, which seals the token's facts in the plaintext: the tenant
// format needs the branch key store), an HMAC fingerprinter under random keys, and a clock the test moves.
import { createHmac, randomBytes } from 'node:crypto';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { EncryptionSdkCipher } from '../../src/adapters/encryption-sdk-cipher.js';
import type { Fingerprinter } from '../../src/domain/ports.js';
import { TokenVault } from '../../src/domain/vault.js';
import { FakeVaultStore } from './fake-vault-store.js';

/**
 * A fake of the branch key fingerprinter: keyed HMACs like it, under versioned keys that never leave
 * memory; after `rotate()` the previous version's fingerprint is the earlier one.
 */
export class FakeFingerprinter implements Fingerprinter {
  readonly #versions = [{ version: 'v1', key: randomBytes(32) }];

  rotate(): void {
    this.#versions.unshift({ version: `v${this.#versions.length + 1}`, key: randomBytes(32) });
  }

  async fingerprints(tenant: string, scope: string, value: string) {
    const [active, ...earlier] = this.#versions.slice(0, 2).map(
      ({ version, key }) =>
        `${version}.${createHmac('sha256', key)
          .update(JSON.stringify([tenant, scope, value]))
          .digest('base64url')}`,
    );
    return { active: active as string, earlier };
  }
}

export interface FastVault {
  vault: TokenVault;
  store: FakeVaultStore;
  fingerprinter: FakeFingerprinter;
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
  const cipher = new EncryptionSdkCipher({
    keyring,
    legacy: { keyring, cache: false },
    writeLegacyFormat: true,
    checkKeyHealth: async () => {},
  });
  const store = new FakeVaultStore();
  const fingerprinter = new FakeFingerprinter();
  let now = new Date('2026-01-31T12:00:00.000Z').getTime();
  const vault = new TokenVault({
    store,
    cipher,
    fingerprinter,
    clock: () => new Date(now),
    ...options,
  });
  return {
    vault,
    store,
    fingerprinter,
    advance(seconds) {
      now += seconds * 1000;
    },
  };
}

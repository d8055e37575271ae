// The facts of a token fixed at tokenize, in one canonical encoding. Their SHA-256 digest is bound to the
// ciphertext (in its encryption context; in the legacy format sealed inside the plaintext), so any change
// to them in the table (type, card facts, maxUses, expiry, creation time, metadata, deterministic
// fingerprint) fails decryption's check on every read.
import { createHash } from 'node:crypto';
import type { VaultRecord } from './ports.js';

export type TokenFacts = Pick<
  VaultRecord,
  | 'tenant'
  | 'token'
  | 'type'
  | 'format'
  | 'fingerprint'
  | 'card'
  | 'maxUses'
  | 'expiresAt'
  | 'createdAt'
  | 'metadata'
>;

/** Names this encoding: a future change of the encoding changes every digest. */
const encodingVersion = 'token-facts/1';

/** The SHA-256 digest of the facts' canonical encoding (32 bytes). */
export function tokenFactsDigest(facts: TokenFacts): Uint8Array {
  return createHash('sha256').update(canonicalTokenFacts(facts), 'utf8').digest();
}

/**
 * A JSON array in a fixed order, absent facts as null, metadata entries sorted by key: one text per set of
 * facts. Times are epoch milliseconds (an unparsable stored time becomes null and so differs).
 */
export function canonicalTokenFacts(facts: TokenFacts): string {
  return JSON.stringify([
    encodingVersion,
    facts.tenant,
    facts.token,
    facts.type,
    facts.format,
    facts.fingerprint ?? null,
    facts.card ? [facts.card.last4, facts.card.brand] : null,
    facts.maxUses ?? null,
    facts.expiresAt ? facts.expiresAt.getTime() : null,
    facts.createdAt.getTime(),
    Object.entries(facts.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  ]);
}

import {
  cardBrand,
  containsCardNumber,
  normalizeCardNumber,
  passesLuhn,
} from '@tokenization/service-kit/card';
import { equalInConstantTime } from './constant-time.js';
import {
  DependencyUnavailableError,
  IntegrityError,
  InvalidItemError,
  TokenExpiredError,
  TokenNotFoundError,
  TokenSpaceExhaustedError,
  VerifyLockedError,
} from './errors.js';
import {
  formatPreservingToken,
  minimumRandomDigits,
  type PreservedDigits,
  randomDigitCount,
} from './format-preserving-token.js';
import { maskValue } from './masking.js';
import {
  type Clock,
  type Fingerprinter,
  FingerprintTakenError,
  TokenCollisionError,
  type TokenFormat,
  type ValueCipher,
  type ValueType,
  type VaultRecord,
  type VaultRecordKey,
  type VaultStore,
} from './ports.js';
import { tokenFactsDigest } from './token-facts.js';
import { randomToken } from './token-id.js';

export interface TokenizeInput {
  value: string;
  type?: ValueType;
  format?: TokenFormat;
  preserve?: PreservedDigits;
  deterministic?: boolean;
  ttlSeconds?: number;
  maxUses?: number;
  metadata?: Record<string, string>;
}

export type TokenizeOutput = Pick<
  VaultRecord,
  'token' | 'createdAt' | 'type' | 'format' | 'expiresAt' | 'maxUses' | 'card'
> & { deterministic: boolean };

export type ItemErrorCode =
  | 'not_found'
  | 'expired'
  | 'exhausted'
  | 'integrity_error'
  | 'invalid_value'
  | 'invalid_options'
  | 'token_space_exhausted';

export interface ItemError {
  error: { code: ItemErrorCode; message: string };
}

export type DetokenizeOutcome = { token: string; value: string } | ({ token: string } & ItemError);

export interface DetokenizeOptions {
  reveal?: 'full' | 'masked';
  showFirst6?: boolean;
}

export type TokenStatus = 'active' | 'expired' | 'exhausted';

export type TokenMetadata = TokenizeOutput &
  Pick<VaultRecord, 'metadata'> & {
    /** maxUses less the uses spent, with maxUses only. */
    usesRemaining?: number;
    status: TokenStatus;
  };

export interface TokenVaultOptions {
  store: VaultStore;
  cipher: ValueCipher;
  fingerprinter: Fingerprinter;
  clock: Clock;
  /** Fresh tokens tried when a write collides with an existing token. */
  maxCollisionRetries?: number;
  /** Verify mismatches a token may have before verify answers `locked` (default 5). */
  verifyMismatchLimit?: number;
}

const itemErrorMessages: Record<Exclude<ItemErrorCode, 'invalid_value' | 'invalid_options'>, string> = {
  not_found: 'No such token.',
  expired: 'The token has expired.',
  exhausted: 'The token has no uses left.',
  integrity_error: 'The stored record of this token failed its integrity check; it was refused.',
  token_space_exhausted: 'No unused format-preserving token could be found for this value.',
};

/** A tokenize request, validated and normalised. */
interface Plan {
  value: string;
  type: ValueType;
  format: TokenFormat;
  preserve: PreservedDigits;
  deterministic: boolean;
  ttlSeconds?: number;
  maxUses?: number;
  metadata: Record<string, string>;
  card?: VaultRecord['card'];
}

/** In a `u` regular expression a surrogate pair is one code point: only unpaired halves match. */
const loneSurrogate = /[\uD800-\uDFFF]/u;

/** Rounds a deterministic tokenization retries when concurrent requests race for the same value. */
const maxFingerprintRounds = 5;

/** The vault: tokenizes values, detokenizes tokens, reads and deletes tokens, all within one tenant. */
export class TokenVault {
  readonly #store: VaultStore;
  readonly #cipher: ValueCipher;
  readonly #fingerprinter: Fingerprinter;
  readonly #clock: Clock;
  readonly #maxAttempts: number;
  readonly #verifyMismatchLimit: number;

  constructor(options: TokenVaultOptions) {
    this.#store = options.store;
    this.#cipher = options.cipher;
    this.#fingerprinter = options.fingerprinter;
    this.#clock = options.clock;
    this.#maxAttempts = 1 + (options.maxCollisionRetries ?? 7);
    this.#verifyMismatchLimit = options.verifyMismatchLimit ?? 5;
  }

  /** Throws InvalidItemError or TokenSpaceExhaustedError for this item, DependencyUnavailableError for all. */
  async tokenize(tenant: string, input: TokenizeInput): Promise<TokenizeOutput> {
    const plan = planTokenization(input);
    return plan.deterministic ? this.#tokenizeDeterministic(tenant, plan) : this.#create(tenant, plan);
  }

  /** Tokenizes each item on its own: an item's own failure is its result; a dependency failure fails all. */
  async tokenizeBatch(
    tenant: string,
    inputs: readonly TokenizeInput[],
  ): Promise<(TokenizeOutput | ItemError)[]> {
    return Promise.all(
      inputs.map((input) =>
        this.tokenize(tenant, input).catch((error: unknown): ItemError => {
          if (error instanceof InvalidItemError)
            return { error: { code: error.code, message: error.message } };
          if (error instanceof TokenSpaceExhaustedError) return itemError('token_space_exhausted');
          if (error instanceof IntegrityError) return itemError('integrity_error');
          throw error;
        }),
      ),
    );
  }

  async detokenize(
    tenant: string,
    tokens: readonly string[],
    { reveal = 'full', showFirst6 = false }: DetokenizeOptions = {},
  ): Promise<DetokenizeOutcome[]> {
    const occurrences = new Map<string, number[]>();
    tokens.forEach((token, index) => {
      occurrences.set(token, [...(occurrences.get(token) ?? []), index]);
    });
    const records = await this.#store.getMany(tenant, [...occurrences.keys()]);
    const now = this.#clock();
    const results: DetokenizeOutcome[] = new Array(tokens.length);
    await Promise.all(
      [...occurrences].map(async ([token, indexes]) => {
        const outcome = await this.#decryptIfRevealable(records.get(token), now, reveal);
        // Each occurrence of a limited-use token spends its own use (a repeat is a second reveal), one after
        // another in request order: the first occurrence gets the reveal, never a later one.
        for (const index of indexes)
          results[index] = await this.#answer(tenant, token, outcome, reveal, showFirst6);
      }),
    );
    return results;
  }

  /** Throws TokenNotFoundError, or IntegrityError when the stored record is not the one made for the token. */
  async metadata(tenant: string, token: string): Promise<TokenMetadata> {
    const record = await this.#verifiedRecord({ tenant, token });
    return {
      ...tokenizeOutput(record),
      ...(record.maxUses !== undefined ? { usesRemaining: record.maxUses - (record.usesSpent ?? 0) } : {}),
      metadata: record.metadata,
      status: statusAt(record, this.#clock()),
    };
  }

  /** Refuses (IntegrityError) a record that fails its checks: its fingerprint entry is only known from it. */
  async delete(tenant: string, token: string): Promise<void> {
    const record = await this.#verifiedRecord({ tenant, token });
    if (!(await this.#store.delete(record))) throw new TokenNotFoundError();
  }

  /**
   * Whether `candidate` is the token's value, compared in constant time; the value never leaves. Spends
   * no use (nothing is revealed), but an expired token cannot be verified (TokenExpiredError). Every answer
   * is counted against the token's mismatch limit first: VerifyLockedError once it is reached, whatever the
   * candidate. Throws TokenNotFoundError, IntegrityError, DependencyUnavailableError like the others.
   */
  async verify(tenant: string, token: string, candidate: string): Promise<boolean> {
    const key = { tenant, token };
    const record = await this.#store.get(key);
    if (!record) throw new TokenNotFoundError();
    const value = await this.#verify(record);
    if (statusAt(record, this.#clock()) === 'expired') throw new TokenExpiredError();
    // A card token holds the digits only (see planTokenization): compare the candidate's digits the same way.
    const comparable =
      record.type === 'card_number' ? (normalizeCardNumber(candidate) ?? candidate) : candidate;
    const match = equalInConstantTime(value, comparable);
    const counted = await this.#store.countVerifyAttempt(key, !match, this.#verifyMismatchLimit);
    if (counted === 'not_found') throw new TokenNotFoundError();
    if (counted === 'locked') throw new VerifyLockedError();
    return match;
  }

  /** Sets the token's verify mismatches back to zero (a security admin's act). TokenNotFoundError if none. */
  async resetVerifyLock(tenant: string, token: string): Promise<void> {
    if (!(await this.#store.resetVerifyMismatches({ tenant, token }))) throw new TokenNotFoundError();
  }

  async checkHealth(): Promise<void> {
    await Promise.all([this.#store.checkHealth(), this.#cipher.checkHealth()]);
  }

  async #create(tenant: string, plan: Plan, fingerprint?: string): Promise<TokenizeOutput> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const token =
        plan.format === 'format_preserving'
          ? formatPreservingToken(plan.value, plan.preserve)
          : randomToken();
      const createdAt = this.#clock();
      const facts: Omit<VaultRecord, 'ciphertext'> = {
        tenant,
        token,
        createdAt,
        type: plan.type,
        format: plan.format,
        metadata: plan.metadata,
        ...(fingerprint ? { fingerprint } : {}),
        ...(plan.card ? { card: plan.card } : {}),
        ...(plan.ttlSeconds ? { expiresAt: expiryAfter(createdAt, plan.ttlSeconds) } : {}),
        ...(plan.maxUses ? { maxUses: plan.maxUses, usesSpent: 0 } : {}),
      };
      // The token and its facts are bound to the ciphertext, so each attempt encrypts again.
      const { ciphertext, keyVersion } = await this.#cipher.encrypt(
        { tenant, token },
        plan.value,
        tokenFactsDigest(facts),
      );
      const record: VaultRecord = { ...facts, ciphertext, ...(keyVersion ? { keyVersion } : {}) };
      try {
        await this.#store.create(record);
        return tokenizeOutput(record);
      } catch (error) {
        if (!(error instanceof TokenCollisionError)) throw error;
      }
    }
    throw new TokenSpaceExhaustedError(this.#maxAttempts);
  }

  /**
   * One token per value: the fingerprint entry is written in the same transaction as the token. A token made
   * under an earlier fingerprint key (before a rotation, or in the legacy format) is found by its own
   * fingerprint, so the value keeps its token; a new token gets the active fingerprint.
   */
  async #tokenizeDeterministic(tenant: string, plan: Plan): Promise<TokenizeOutput> {
    const scope = fingerprintScope(plan);
    const { active, earlier } = await this.#fingerprinter.fingerprints(tenant, scope, plan.value);
    for (let round = 0; round < maxFingerprintRounds; round++) {
      const found = await this.#findFingerprint(tenant, [active, ...earlier]);
      if (found) {
        const { fingerprint, token: existing } = found;
        const record = await this.#store.get({ tenant, token: existing });
        if (record) {
          // The fingerprint entry is not sealed: the token it names must hold this very fingerprint.
          await this.#verify(record);
          if (record.fingerprint !== fingerprint)
            throw new IntegrityError('fingerprint entry names another token');
          return tokenizeOutput(record);
        }
        // The token was deleted but its fingerprint entry survived: free it and tokenize anew.
        await this.#store.releaseFingerprint(tenant, fingerprint, existing);
        continue;
      }
      try {
        return await this.#create(tenant, plan, active);
      } catch (error) {
        // A concurrent request tokenized the same value first: the next round returns its token.
        if (!(error instanceof FingerprintTakenError)) throw error;
      }
    }
    throw new DependencyUnavailableError('store', {
      cause: new Error('deterministic tokenization contention'),
    });
  }

  /** The first of `fingerprints` (in order) that names a token. */
  async #findFingerprint(
    tenant: string,
    fingerprints: readonly string[],
  ): Promise<{ fingerprint: string; token: string } | undefined> {
    for (const fingerprint of new Set(fingerprints)) {
      const token = await this.#store.findByFingerprint(tenant, fingerprint);
      if (token) return { fingerprint, token };
    }
    return undefined;
  }

  /** Verified first: expiry and uses are judged from the sealed facts, never from unchecked attributes. */
  async #decryptIfRevealable(
    record: VaultRecord | IntegrityError | undefined,
    now: Date,
    reveal: 'full' | 'masked',
  ): Promise<{ value: string; record: VaultRecord } | ItemError> {
    if (!record) return itemError('not_found');
    if (record instanceof IntegrityError) return itemError('integrity_error');
    let value: string;
    try {
      value = await this.#verify(record);
    } catch (error) {
      if (error instanceof IntegrityError) return itemError('integrity_error');
      throw error;
    }
    const status = statusAt(record, now);
    if (status === 'expired') return itemError('expired');
    if (status === 'exhausted' && reveal === 'full') return itemError('exhausted');
    return { value, record };
  }

  async #answer(
    tenant: string,
    token: string,
    outcome: { value: string; record: VaultRecord } | ItemError,
    reveal: 'full' | 'masked',
    showFirst6: boolean,
  ): Promise<DetokenizeOutcome> {
    if ('error' in outcome) return { token, ...outcome };
    const { value, record } = outcome;
    if (reveal === 'masked') {
      return { token, value: maskValue(value, { isCardNumber: record.type === 'card_number', showFirst6 }) };
    }
    if (record.maxUses !== undefined) {
      const use = await this.#store.spendUse({ tenant, token }, record.maxUses);
      if (use !== 'used') return { token, ...itemError(use) };
    }
    return { token, value };
  }

  async #verifiedRecord(key: VaultRecordKey): Promise<VaultRecord> {
    const record = await this.#store.get(key);
    if (!record) throw new TokenNotFoundError();
    await this.#verify(record);
    return record;
  }

  /**
   * Decrypts the record's value, which proves its tenant, token and facts are those sealed at tokenize, and
   * checks its use counter against the sealed maxUses. Throws IntegrityError otherwise.
   */
  async #verify(record: VaultRecord): Promise<string> {
    const { value } = await this.#cipher.decrypt(record, record.ciphertext, tokenFactsDigest(record));
    if (!plausibleUsesSpent(record)) throw new IntegrityError('use counter out of range');
    return value;
  }
}

/**
 * The scope a deterministic token's fingerprint is taken in: its type and format (a deterministic
 * format-preserving token always keeps the last four digits, see planTokenization). The re-encryption job
 * recomputes fingerprints in the same scope.
 */
export function fingerprintScope({ type, format }: Pick<VaultRecord, 'type' | 'format'>): string {
  return `${type}:${format}:${format === 'format_preserving' ? 'last4' : '-'}`;
}

/** Validates what the schema cannot: the value against its type, and the options against each other. */
function planTokenization(input: TokenizeInput): Plan {
  const type = input.type ?? 'generic';
  const format = input.format ?? 'random';
  const preserve = input.preserve ?? 'last4';
  const deterministic = input.deterministic ?? false;
  if (deterministic && input.ttlSeconds !== undefined) {
    throw new InvalidItemError('invalid_options', 'ttlSeconds', 'Deterministic tokens cannot expire.');
  }
  if (deterministic && input.maxUses !== undefined) {
    throw new InvalidItemError(
      'invalid_options',
      'maxUses',
      'Deterministic tokens cannot have a usage limit.',
    );
  }
  if (format === 'format_preserving' && type !== 'card_number') {
    throw new InvalidItemError(
      'invalid_options',
      'format',
      'Format-preserving tokens are for card numbers only.',
    );
  }
  if (input.preserve !== undefined && format !== 'format_preserving') {
    throw new InvalidItemError(
      'invalid_options',
      'preserve',
      'preserve applies to format-preserving tokens only.',
    );
  }
  // A deterministic token can be asked for again with candidate values: keeping the first six too would
  // leave about 10^5 Luhn-valid candidates per token (10^11 with the last four only).
  if (deterministic && preserve !== 'last4') {
    throw new InvalidItemError(
      'invalid_options',
      'preserve',
      'Deterministic tokens keep the last four digits at most: use preserve last4.',
    );
  }
  // A lone surrogate (`"\ud800"` in JSON) cannot be encoded as UTF-8: it would be stored, fingerprinted and
  // revealed as U+FFFD, another value than the one sent.
  if (loneSurrogate.test(input.value)) {
    throw new InvalidItemError('invalid_value', 'value', 'The value is not well-formed Unicode.');
  }
  // Metadata is stored in clear and shown to callers without reveal rights: no card number may hide in it.
  // The problem names the field, never the key or the value (the rule: service-kit/src/card.ts).
  for (const [key, text] of Object.entries(input.metadata ?? {})) {
    const holder = containsCardNumber(key) ? 'key' : containsCardNumber(text) ? 'value' : undefined;
    if (holder) {
      throw new InvalidItemError('invalid_options', 'metadata', `A metadata ${holder} holds a card number.`);
    }
  }
  for (const [key, text] of Object.entries(input.metadata ?? {})) {
    if (loneSurrogate.test(text)) {
      throw new InvalidItemError(
        'invalid_options',
        `metadata/${key}`,
        'Metadata must be well-formed Unicode.',
      );
    }
  }
  const plan: Plan = {
    value: input.value,
    type,
    format,
    preserve,
    deterministic,
    metadata: input.metadata ?? {},
    ...(input.ttlSeconds !== undefined ? { ttlSeconds: input.ttlSeconds } : {}),
    ...(input.maxUses !== undefined ? { maxUses: input.maxUses } : {}),
  };
  if (type !== 'card_number') return plan;

  const digits = normalizeCardNumber(input.value);
  if (!digits || !passesLuhn(digits)) {
    throw new InvalidItemError(
      'invalid_value',
      'value',
      'Not a card number: expected 13 to 19 digits that pass the Luhn check.',
    );
  }
  if (format === 'format_preserving' && randomDigitCount(digits.length, preserve) < minimumRandomDigits) {
    throw new InvalidItemError(
      'invalid_options',
      'preserve',
      `Keeping the first six and last four digits needs a card of at least ${10 + minimumRandomDigits} digits.`,
    );
  }
  return { ...plan, value: digits, card: { last4: digits.slice(-4), brand: cardBrand(digits) } };
}

/** Expiry in whole seconds (rounded up), as the DynamoDB TTL attribute stores it. */
function expiryAfter(createdAt: Date, ttlSeconds: number): Date {
  return new Date(Math.ceil(createdAt.getTime() / 1000 + ttlSeconds) * 1000);
}

/** Call on a verified record only: its expiry and maxUses are the sealed ones. */
function statusAt(record: VaultRecord, now: Date): TokenStatus {
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (record.maxUses !== undefined && (record.usesSpent ?? 0) >= record.maxUses) return 'exhausted';
  return 'active';
}

/**
 * The counter is not sealed (it changes), but it only ever counts from 0 up to the sealed maxUses: a
 * counter out of that range, or on a token without maxUses, was written by someone else.
 */
function plausibleUsesSpent({ maxUses, usesSpent }: VaultRecord): boolean {
  if (maxUses === undefined) return usesSpent === undefined;
  return usesSpent !== undefined && Number.isSafeInteger(usesSpent) && usesSpent >= 0 && usesSpent <= maxUses;
}

function tokenizeOutput(record: VaultRecord): TokenizeOutput {
  return {
    token: record.token,
    createdAt: record.createdAt,
    type: record.type,
    format: record.format,
    deterministic: record.fingerprint !== undefined,
    ...(record.expiresAt ? { expiresAt: record.expiresAt } : {}),
    ...(record.maxUses !== undefined ? { maxUses: record.maxUses } : {}),
    ...(record.card ? { card: record.card } : {}),
  };
}

function itemError(code: keyof typeof itemErrorMessages): ItemError {
  return { error: { code, message: itemErrorMessages[code] } };
}

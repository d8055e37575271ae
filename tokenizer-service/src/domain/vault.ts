import { IntegrityError, TokenNotFoundError, TokenSpaceExhaustedError } from './errors.js';
import { type Clock, TokenCollisionError, type ValueCipher, type VaultStore } from './ports.js';
import { randomToken } from './token-id.js';

export interface TokenizeInput {
  value: string;
}

export interface TokenizeOutput {
  token: string;
  createdAt: Date;
}

export type ItemErrorCode = 'not_found' | 'integrity_error';

export type DetokenizeOutcome =
  | { token: string; value: string }
  | { token: string; error: { code: ItemErrorCode; message: string } };

export interface TokenMetadata {
  token: string;
  createdAt: Date;
}

export interface TokenVaultOptions {
  store: VaultStore;
  cipher: ValueCipher;
  clock: Clock;
  /** Fresh tokens tried when a write collides with an existing token. */
  maxCollisionRetries?: number;
}

const itemErrorMessages: Record<ItemErrorCode, string> = {
  not_found: 'No such token.',
  integrity_error: 'The stored ciphertext does not belong to this token; it was refused.',
};

/** The vault: tokenizes values, detokenizes tokens, reads and deletes tokens, all within one tenant. */
export class TokenVault {
  readonly #store: VaultStore;
  readonly #cipher: ValueCipher;
  readonly #clock: Clock;
  readonly #maxAttempts: number;

  constructor(options: TokenVaultOptions) {
    this.#store = options.store;
    this.#cipher = options.cipher;
    this.#clock = options.clock;
    this.#maxAttempts = 1 + (options.maxCollisionRetries ?? 3);
  }

  async tokenize(tenant: string, input: TokenizeInput): Promise<TokenizeOutput> {
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const token = randomToken();
      // The token is sealed inside the ciphertext, so each attempt encrypts again.
      const ciphertext = await this.#cipher.encrypt({ tenant, token }, input.value);
      const createdAt = this.#clock();
      try {
        await this.#store.create({ tenant, token, ciphertext, createdAt });
        return { token, createdAt };
      } catch (error) {
        if (!(error instanceof TokenCollisionError)) throw error;
      }
    }
    throw new TokenSpaceExhaustedError(this.#maxAttempts);
  }

  /** Tokenizes each item on its own; a dependency failure fails the whole batch. */
  async tokenizeBatch(tenant: string, inputs: readonly TokenizeInput[]): Promise<TokenizeOutput[]> {
    return Promise.all(inputs.map((input) => this.tokenize(tenant, input)));
  }

  async detokenize(tenant: string, tokens: readonly string[]): Promise<DetokenizeOutcome[]> {
    const unique = [...new Set(tokens)];
    const records = await this.#store.getMany(tenant, unique);
    const outcomes = new Map<string, DetokenizeOutcome>();
    await Promise.all(
      unique.map(async (token) => {
        const record = records.get(token);
        outcomes.set(
          token,
          record ? await this.#reveal(tenant, token, record.ciphertext) : itemError(token, 'not_found'),
        );
      }),
    );
    return tokens.map((token) => outcomes.get(token) as DetokenizeOutcome);
  }

  async metadata(tenant: string, token: string): Promise<TokenMetadata> {
    const record = await this.#store.get({ tenant, token });
    if (!record) throw new TokenNotFoundError();
    return { token: record.token, createdAt: record.createdAt };
  }

  async delete(tenant: string, token: string): Promise<void> {
    if (!(await this.#store.delete({ tenant, token }))) throw new TokenNotFoundError();
  }

  async checkHealth(): Promise<void> {
    await Promise.all([this.#store.checkHealth(), this.#cipher.checkHealth()]);
  }

  async #reveal(tenant: string, token: string, ciphertext: Uint8Array): Promise<DetokenizeOutcome> {
    try {
      return { token, value: await this.#cipher.decrypt({ tenant, token }, ciphertext) };
    } catch (error) {
      if (error instanceof IntegrityError) return itemError(token, 'integrity_error');
      throw error;
    }
  }
}

function itemError(token: string, code: ItemErrorCode): DetokenizeOutcome {
  return { token, error: { code, message: itemErrorMessages[code] } };
}

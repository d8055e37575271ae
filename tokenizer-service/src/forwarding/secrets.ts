// The secrets a connection adds to its requests (an API key), by reference: never in the connections file
// itself, never from a caller. `file:<path>` (the local stack) is read once at start-up, so a missing file
// stops the service; a Secrets Manager ARN (AWS) is fetched on first use and kept a few minutes, so a
// rotation reaches every instance within that time.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DependencyUnavailableError } from '../domain/errors.js';

export type SecretReference = string;

/** Fetches one Secrets Manager secret's string (the AWS adapter); undefined when it has none. */
export type SecretsManagerFetch = (arn: string) => Promise<string | undefined>;

export interface SecretStoreOptions {
  /** Relative `file:` paths are resolved against this directory (the connections file's). */
  baseDirectory: string;
  /** How secrets given by ARN are fetched; without it an ARN reference is refused at start-up. */
  secretsManager?: SecretsManagerFetch;
  /** How long a fetched secret is kept. Default 300 s. */
  maxAgeMs?: number;
  now?: () => number;
}

/** A secret reference cannot be used: the tokenizer must not start with it. */
export class SecretReferenceError extends Error {
  override readonly name = 'SecretReferenceError';
}

export class SecretStore {
  readonly #files = new Map<SecretReference, string>();
  readonly #fetched = new Map<SecretReference, { value: Promise<string>; at: number }>();
  readonly #options: SecretStoreOptions;

  constructor(options: SecretStoreOptions) {
    this.#options = options;
  }

  /** Reads a `file:` secret now, or checks an ARN one can be fetched later; throws SecretReferenceError. */
  prepare(reference: SecretReference, usedBy: string): void {
    if (reference.startsWith('file:')) {
      const path = reference.slice('file:'.length);
      const file = isAbsolute(path) ? path : join(this.#options.baseDirectory, path);
      let value: string;
      try {
        value = readFileSync(file, 'utf8').trim();
      } catch (error) {
        throw new SecretReferenceError(`${usedBy}: the secret file ${file} cannot be read`, { cause: error });
      }
      if (!/^[\x21-\x7e]{1,4096}$/.test(value)) {
        throw new SecretReferenceError(
          `${usedBy}: the secret file ${file} must hold one line of visible ASCII`,
        );
      }
      this.#files.set(reference, value);
      return;
    }
    if (!this.#options.secretsManager) {
      throw new SecretReferenceError(`${usedBy}: Secrets Manager references need the Secrets Manager client`);
    }
  }

  /** The secret's value; DependencyUnavailableError('secrets') when Secrets Manager does not give it. */
  async get(reference: SecretReference): Promise<string> {
    const file = this.#files.get(reference);
    if (file !== undefined) return file;
    const fetch = this.#options.secretsManager;
    if (!fetch) throw new SecretReferenceError('secret reference not prepared');
    const now = (this.#options.now ?? Date.now)();
    const cached = this.#fetched.get(reference);
    if (cached && now - cached.at < (this.#options.maxAgeMs ?? 300_000)) return cached.value;
    const value = fetch(reference).then((text) => {
      if (text === undefined || !/^[\x21-\x7e]{1,4096}$/.test(text)) {
        throw new DependencyUnavailableError('secrets', {
          cause: new Error('secret is not one visible line'),
        });
      }
      return text;
    });
    this.#fetched.set(reference, { value, at: now });
    // A failure is not kept: the next forward asks again.
    value.catch(() => this.#fetched.delete(reference));
    return value;
  }
}

import type { NodeMaterialsManager } from '@aws-crypto/client-node';

type EncryptionRequest = Parameters<NodeMaterialsManager['getEncryptionMaterials']>[0];
type DecryptionRequest = Parameters<NodeMaterialsManager['decryptMaterials']>[0];

/**
 * Runs materials requests for the same data key one at a time. The caching materials manager does not
 * coalesce concurrent misses: a cold container receiving a batch of 100 values would ask KMS 100 times.
 * Queued behind the first request, the others find its data key in the cache. Hits cost microseconds, so
 * queueing them costs nothing measurable.
 */
export class SingleFlightMaterialsManager implements NodeMaterialsManager {
  readonly #inner: NodeMaterialsManager;
  readonly #tails = new Map<string, Promise<unknown>>();

  constructor(inner: NodeMaterialsManager) {
    this.#inner = inner;
  }

  getEncryptionMaterials = (request: EncryptionRequest) =>
    this.#queue(`encrypt:${contextKey(request.encryptionContext)}`, () =>
      this.#inner.getEncryptionMaterials(request),
    );

  decryptMaterials = (request: DecryptionRequest) =>
    this.#queue(
      `decrypt:${contextKey(request.encryptionContext)}:${request.encryptedDataKeys
        .map((key) => Buffer.from(key.encryptedDataKey).toString('base64'))
        .join(',')}`,
      () => this.#inner.decryptMaterials(request),
    );

  async #queue<T>(key: string, run: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key);
    const current = (previous ?? Promise.resolve()).then(run, run);
    const tail = current.catch(() => {});
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

function contextKey(context: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1)));
}

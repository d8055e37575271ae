import { KMS, type KMSClientConfig } from '@aws-sdk/client-kms';
import { addRunningRequestMetric } from '@tokenization/service-kit/metrics';
import { DependencyUnavailableError } from '../domain/errors.js';
import { reportKmsCall, reportKmsFailure } from './encryption-sdk-cipher.js';

/**
 * A KMS client whose failures reach the Encryption SDK operation that made the call, so an outage
 * answers 503 rather than looking like a corrupt ciphertext. Each call (before retries) is counted in the
 * request's metrics line (`KmsCalls`) and for the operation's data key cache hit or miss.
 */
export function createKmsClient(config: KMSClientConfig): KMS {
  // The keyring calls the aggregated client's methods (generateDataKey, decrypt), not send().
  const client = new KMS(config);
  client.middlewareStack.add(
    (next) => async (args) => {
      addRunningRequestMetric('KmsCalls');
      reportKmsCall();
      try {
        return await next(args);
      } catch (error) {
        reportKmsFailure(error);
        throw error;
      }
    },
    { step: 'initialize', name: 'reportKmsFailure' },
  );
  return client;
}

/** Readiness: the key exists and KMS answers. */
export function kmsKeyHealthCheck(client: KMS, keyId: string): () => Promise<void> {
  return async () => {
    try {
      const { KeyMetadata } = await client.describeKey({ KeyId: keyId });
      if (!KeyMetadata?.Enabled) throw new Error('the vault key is not enabled');
    } catch (error) {
      throw new DependencyUnavailableError('kms', { cause: error });
    }
  };
}

// The Secrets Manager adapter of the secret store, loaded only when a connection names a secret by ARN
// (the local stack never does, and the client stays out of the start-up path).
import { rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import type { SecretsManagerFetch } from './secrets.js';

export interface SecretsManagerOptions {
  region: string;
  /** Connect and request timeout, as for the other dependencies. */
  timeoutMs: number;
}

export function secretsManagerFetch(options: SecretsManagerOptions): SecretsManagerFetch {
  let client: Promise<import('@aws-sdk/client-secrets-manager').SecretsManagerClient> | undefined;
  return async (arn) => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    client ??= Promise.resolve(
      new sdk.SecretsManagerClient({
        region: options.region,
        maxAttempts: 2,
        requestHandler: { connectionTimeout: options.timeoutMs, requestTimeout: options.timeoutMs },
      }),
    );
    try {
      const answer = await (await client).send(new sdk.GetSecretValueCommand({ SecretId: arn }));
      return answer.SecretString;
    } catch (error) {
      rethrowAwsUnavailable('secrets', error);
    }
  };
}

// Stands in, in the Lambda bundles only, for @aws-sdk/credential-provider-node, the default credential
// chain every AWS SDK client imports (SSO, shared ini files, credential processes, web identity, container
// and instance metadata, with the STS and SSO clients they use). On Lambda the runtime gives the function's
// role credentials in the environment, the chain's first link: the rest only added bytes to every cold
// start. Outside Lambda (the local server, tests, scripts) the real chain is used.
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The environment's credentials, as the default chain would have found them first on Lambda. */
export const defaultProvider = (init = {}) => fromEnv(init);

// The default chain's other exports, with the same meaning.
export const credentialsWillNeedRefresh = (credentials) => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials) =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;

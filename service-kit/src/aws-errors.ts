// Which AWS SDK failures are a dependency outage (503, retry later) rather than a bug (500).
import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import { DependencyUnavailableError } from './errors.js';

type SdkError = Parameters<typeof isTransientError>[0];

// Network failures before any response: no HTTP status at all.
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/**
 * True for AWS SDK failures a retry may cure: an outage, a timeout, throttling, a server fault, or no
 * answer at all. Client faults (a bad request, a missing table) are bugs or misconfiguration.
 */
export function isAwsUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as SdkError;
  if (isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError)) return true;
  const code = (error as NodeJS.ErrnoException).code;
  return error.name === 'TimeoutError' || (code !== undefined && networkErrorCodes.has(code));
}

/** Rethrows an outage as DependencyUnavailableError (answered 503), anything else as it is. */
export function rethrowAwsUnavailable<Dependency extends string>(
  dependency: Dependency,
  error: unknown,
): never {
  if (isAwsUnavailable(error)) throw new DependencyUnavailableError(dependency, { cause: error });
  throw error;
}

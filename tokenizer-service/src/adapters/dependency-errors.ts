import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import { type Dependency, DependencyUnavailableError } from '../domain/errors.js';

type SdkError = Parameters<typeof isTransientError>[0];

/**
 * True for failures a retry may cure: the dependency is down, times out, throttles or has a server fault.
 * Client faults (a bad request, a missing table) are bugs or misconfiguration and stay errors.
 */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as SdkError;
  if (isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError)) return true;
  // Network failures before any response: no HTTP status at all.
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === 'TimeoutError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENOTFOUND'
  );
}

/** Rethrows dependency outages as DependencyUnavailableError, anything else as it is. */
export function rethrowUnavailable(dependency: Dependency, error: unknown): never {
  if (isUnavailable(error)) throw new DependencyUnavailableError(dependency, { cause: error });
  throw error;
}

// What the admin CLI's exit status means (docs/key-administration.md, "Exit codes"): scripts branch on it.
import { isAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { DependencyUnavailableError as SharedDependencyUnavailableError } from '@tokenization/service-kit/errors';

export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  /** The tenant's state or the waiting period forbids the action now. */
  refused: 4,
  dependencyUnavailable: 5,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** The command line is wrong (an unknown option, a malformed tenant, a waiting period out of range). */
export class AdminUsageError extends Error {
  override readonly name = 'AdminUsageError';
}

/** No such tenant or token. */
export class AdminNotFoundError extends Error {
  override readonly name = 'AdminNotFoundError';
}

/** The action is not allowed in the tenant's current state (or not yet). */
export class AdminRefusedError extends Error {
  override readonly name = 'AdminRefusedError';
}

/** The exit status for an error thrown by an admin action. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof AdminUsageError) return exitCodes.usage;
  if (error instanceof AdminNotFoundError) return exitCodes.notFound;
  if (error instanceof AdminRefusedError) return exitCodes.refused;
  if (error instanceof SharedDependencyUnavailableError || isAwsUnavailable(error)) {
    return exitCodes.dependencyUnavailable;
  }
  return exitCodes.failure;
}

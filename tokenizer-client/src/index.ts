// @tokenization/tokenizer-client: the typed client SDK of the tokenizer API (see README.md).
export {
  type CallOptions,
  type DetokenizeOptions,
  type OperationId,
  type RetryEvent,
  TokenizerClient,
  type TokenizerClientOptions,
} from './client.js';
export {
  ConnectionNotFoundError,
  type DestinationAnswer,
  DestinationAnswerRefusedError,
  DestinationFailedError,
  DestinationRefusedError,
  type Problem,
  type ProblemField,
  TokenExpiredError,
  TokenizerConflictError,
  TokenizerConnectionError,
  TokenizerCredentialsError,
  TokenizerError,
  type TokenizerErrorKind,
  TokenizerForbiddenError,
  TokenizerProblemError,
  TokenizerRateLimitError,
  TokenizerResponseError,
  TokenizerTimeoutError,
  TokenizerUnauthorizedError,
  TokenizerUnavailableError,
  TokenizerValidationError,
  TokenNotFoundError,
  TokenUnusableError,
  VerifyLockedError,
} from './errors.js';
export type { BackoffOptions } from './retry.js';
export {
  createRequestSigner,
  createSigningFetch,
  type RequestSigner,
  type RequestSignerOptions,
  type RequestToSign,
  type SigningFetch,
  type SigningFetchOptions,
  signingService,
  type TokenizerCredentials,
} from './signing-fetch.js';
export type * from './types.js';

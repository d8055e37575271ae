import {
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { AuthenticationError, DependencyUnavailableError } from '../domain/errors.js';
import type { Caller, Clock, IdTokenVerifier } from '../domain/ports.js';

export interface CognitoIdTokenVerifierOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<user pool id>`, or cognito-local's `<endpoint>/<pool id>`. */
  issuer: string;
  /** The user pool's JWKS: `<issuer>/.well-known/jwks.json`. */
  jwksUrl: string;
  /** The app client: an ID token's audience. */
  clientId: string;
  clock: Clock;
  /** Clock skew allowed on `exp`, `iat` and `nbf`. */
  clockToleranceSeconds?: number;
  /**
   * Tokens issued longer ago than this are refused whatever their `exp` says. Cognito's ID tokens live at
   * most a day, the default.
   */
  maxTokenAgeSeconds?: number;
  jwksTimeoutMs?: number;
  /** How long fetched keys are used before they are fetched again (jose's default: 10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /** Fetches the JWKS (jose's `customFetch`); the global fetch otherwise. */
  fetch?: typeof fetch;
}

// Cognito's ID tokens are around 1 KB; a megabyte of "token" is an attack on the parser.
const maxTokenLength = 8_192;
// After a fetch, an unknown key id does not fetch again for this long (a flood of forged kids).
const jwksCooldownMs = 30_000;

/**
 * Verifies Amazon Cognito user pool ID tokens with `jose`: an RS256 signature by a key of the pool's JWKS
 * named by the token's `kid`, the pool as issuer, the app client as audience, the validity window, then
 * `token_use` `id` and a subject. API Gateway's Cognito authorizer checks the same on AWS; the service
 * does not rely on it.
 *
 * Errors: AuthenticationError (401) for any token that does not verify, with a short fixed reason for the
 * logs and never the token or its claims; DependencyUnavailableError (503) when the JWKS cannot be fetched.
 */
export class CognitoIdTokenVerifier implements IdTokenVerifier {
  readonly #clock: Clock;
  readonly #options: Omit<JWTVerifyOptions, 'currentDate'>;
  readonly #key: JWTVerifyGetKey;

  constructor(options: CognitoIdTokenVerifierOptions) {
    this.#clock = options.clock;
    this.#options = {
      issuer: options.issuer,
      audience: options.clientId,
      // The algorithm is pinned: a token cannot choose `none`, or HMAC keyed with the public key.
      algorithms: ['RS256'],
      clockTolerance: options.clockToleranceSeconds ?? 5,
      // Also refuses an `iat` in the future.
      maxTokenAge: options.maxTokenAgeSeconds ?? 86_400,
      requiredClaims: ['exp', 'iat', 'sub'],
    };
    const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: options.jwksTimeoutMs ?? 3_000,
      cooldownDuration: jwksCooldownMs,
      cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
      ...(options.fetch === undefined ? {} : { [customFetch]: options.fetch }),
    });
    this.#key = async (header, token) => {
      // Cognito names the key of every token. Without a kid, jose would take the one RSA key of the set.
      if (typeof header.kid !== 'string') throw new AuthenticationError('no key id');
      try {
        return await jwks(header, token);
      } catch (error) {
        throw keyError(error);
      }
    };
  }

  async verify(idToken: string): Promise<Caller> {
    if (idToken.length > maxTokenLength) throw new AuthenticationError('token too long');
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(idToken, this.#key, {
        ...this.#options,
        currentDate: this.#clock(),
      }));
    } catch (error) {
      throw verificationError(error);
    }
    // jose has checked `aud`; an ID token also says what it is (an access token names no audience).
    if (claims.token_use !== 'id') throw new AuthenticationError('not an ID token');
    if (typeof claims.sub !== 'string' || claims.sub.length === 0) {
      throw new AuthenticationError('no subject');
    }
    return { sub: claims.sub };
  }
}

/** An error of the key set: the token names no usable key (401), or the keys cannot be had (503). */
function keyError(error: unknown): Error {
  if (error instanceof errors.JWKSNoMatchingKey) return new AuthenticationError('unknown signing key');
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthenticationError('ambiguous signing key');
  }
  if (error instanceof errors.JOSENotSupported) {
    return new AuthenticationError('unexpected signature algorithm');
  }
  // JWKSTimeout, a refused connection, an answer other than 200, a body that is not a key set.
  return new DependencyUnavailableError('identity-provider', { cause: error });
}

// jose names the claim that failed; only these are expected, and only these names reach a log.
const claimReasons: Record<string, string> = {
  iss: 'unexpected issuer',
  aud: 'unexpected audience',
  sub: 'no subject',
  exp: 'expired',
  nbf: 'not yet valid',
  iat: 'issued in the future',
};

/**
 * jose's errors as AuthenticationError. No jose error is kept as the cause: the claim errors carry the
 * token's claims (`payload`), and some messages quote header values.
 */
function verificationError(error: unknown): unknown {
  if (error instanceof AuthenticationError || error instanceof DependencyUnavailableError) return error;
  if (error instanceof errors.JWTExpired) {
    return new AuthenticationError(error.claim === 'iat' ? 'too old' : 'expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const claim = Object.hasOwn(claimReasons, error.claim) ? error.claim : undefined;
    if (claim === undefined) return new AuthenticationError('claim check failed');
    if (error.reason === 'missing') return new AuthenticationError(`missing ${claim} claim`);
    if (error.reason === 'invalid') return new AuthenticationError(`invalid ${claim} claim`);
    return new AuthenticationError(claimReasons[claim] as string);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthenticationError('unexpected signature algorithm');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthenticationError('bad signature');
  // An unrecognised `crit` extension.
  if (error instanceof errors.JOSENotSupported) return new AuthenticationError('unsupported header');
  if (error instanceof errors.JWSInvalid) return new AuthenticationError('malformed token');
  if (error instanceof errors.JWTInvalid) return new AuthenticationError('malformed claims');
  if (error instanceof errors.JOSEError) return new AuthenticationError('invalid token');
  // Not the token's fault (a misconfigured option, a key of the set jose refuses to use): a 500, logged.
  return error;
}

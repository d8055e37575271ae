// A stand-in for a Cognito user pool in tests: an RSA signing key, its JWKS served over HTTP at the path
// cognito-local and Cognito use (`/<pool id>/.well-known/jwks.json`), and ID tokens signed with it.
// cognito-local itself is exercised end to end in cognito-local.test.ts; this one starts in milliseconds.
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export interface LocalIdProvider {
  /** What COGNITO_ENDPOINT is set to. */
  endpoint: string;
  userPoolId: string;
  clientId: string;
  issuer: string;
  /** A valid ID token for this user, with claims overridden or added. */
  idToken(sub: string, claims?: Record<string, unknown>): string;
  /** Signs any header and claims with the pool's key (or another key): for forged tokens. */
  sign(header: Record<string, unknown>, claims: Record<string, unknown>, key?: KeyObject): string;
  /** How many times the JWKS was fetched. */
  jwksFetches(): number;
  /** Makes the JWKS endpoint answer 500 (true) or serve its keys again (false). */
  failJwks(failing: boolean): void;
}

const keyId = 'test-key-1';

export async function startLocalIdProvider(t: Test): Promise<LocalIdProvider> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const userPoolId = 'local_testPool1';
  const clientId = 'testclient123';
  let fetches = 0;
  let failing = false;
  const server = createServer((request, response) => {
    if (request.url !== `/${userPoolId}/.well-known/jwks.json`) {
      response.writeHead(404).end();
      return;
    }
    fetches++;
    if (failing) {
      response.writeHead(500).end();
      return;
    }
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: keyId, alg: 'RS256', use: 'sig' };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${endpoint}/${userPoolId}`;

  const signJwt = (header: Record<string, unknown>, claims: Record<string, unknown>, key = privateKey) => {
    const signingInput = `${encode(header)}.${encode(claims)}`;
    const signature = sign('sha256', Buffer.from(signingInput), key).toString('base64url');
    return `${signingInput}.${signature}`;
  };

  return {
    endpoint,
    userPoolId,
    clientId,
    issuer,
    idToken(sub, claims = {}) {
      const now = Math.floor(Date.now() / 1000);
      return signJwt(
        { alg: 'RS256', typ: 'JWT', kid: keyId },
        {
          sub,
          'cognito:username': sub,
          aud: clientId,
          iss: issuer,
          token_use: 'id',
          auth_time: now,
          iat: now,
          exp: now + 3600,
          jti: randomUUID(),
          ...claims,
        },
      );
    },
    sign: signJwt,
    jwksFetches: () => fetches,
    failJwks(value) {
      failing = value;
    },
  };
}

/** Another RSA key, for tokens signed by someone else. */
export function foreignKey(): KeyObject {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

function encode(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

// Callers of the test stacks: principals with fake, test-only SigV4 keys, policies granting them
// permissions, and app.inject signed as one of them.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { AuthorizationPolicyDocument } from '../../src/auth/authorization-policy.js';
import { type Permission, permissions } from '../../src/auth/permissions.js';
import type { SigV4Credential } from '../../src/auth/sigv4-authenticator.js';
import { type SigningCredentials, signRequest } from './sigv4-signing.js';

/** A principal whose signatures a test stack accepts. */
export interface TestCaller {
  principalArn: string;
  credentials: SigningCredentials;
}

/** The region test requests are signed for (the stacks' AWS_REGION). */
export const testRegion = 'us-east-1';

/** The host test requests are sent to and signed for. */
export const testHost = 'tokenizer.test';

export const allPermissions: readonly Permission[] = permissions;

/** A caller for the IAM role `role` in account 000000000000, with deterministic test-only keys. */
export function testCallerNamed(role: string): TestCaller {
  const keySuffix = createHash('sha256').update(role).digest('hex').slice(0, 16).toUpperCase();
  return {
    principalArn: `arn:aws:iam::000000000000:role/${role}`,
    credentials: { accessKeyId: `AKIATEST${keySuffix}`, secretAccessKey: `test-only-secret-of-${role}` },
  };
}

/** The caller `inject` signs as; by default it holds every permission on its stack's tenant. */
export const testCaller = testCallerNamed('tokenizer-test-caller');

/** What the SigV4 verifier of a stack accepts for these callers. */
export function credentialsOf(callers: readonly TestCaller[]): SigV4Credential[] {
  return callers.map(({ principalArn, credentials }) => ({
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    principalArn,
  }));
}

/** The credentials the default test stack accepts: the test caller's. */
export const testCredentials: readonly SigV4Credential[] = credentialsOf([testCaller]);

export interface Grant {
  caller: TestCaller;
  tenant: string;
  permissions: readonly Permission[];
}

export function policyFor(grants: readonly Grant[]): AuthorizationPolicyDocument {
  return {
    principals: grants.map(({ caller, tenant, permissions }) => ({
      arn: caller.principalArn,
      tenant,
      permissions: [...permissions],
    })),
  };
}

export interface SigningOptions {
  /** Signing time; default now. */
  date?: Date;
}

/**
 * `app.inject`, signed as `caller` with `@smithy/signature-v4`. Object payloads are serialized here
 * (as light-my-request would) so that the signature covers the exact bytes sent.
 */
export async function injectSigned(
  app: FastifyInstance,
  caller: TestCaller,
  options: InjectOptions,
  signing: SigningOptions = {},
): Promise<LightMyRequestResponse> {
  const { url: givenUrl, query, headers: givenHeaders, payload, method = 'GET', ...rest } = options;
  if (typeof givenUrl !== 'string') throw new Error('injectSigned: give the url as a string');
  if (payload instanceof Readable) throw new Error('injectSigned: stream payloads cannot be signed here');
  let url = givenUrl;
  if (query !== undefined) {
    const search =
      typeof query === 'string' ? query : new URLSearchParams(query as Record<string, string>).toString();
    url += `${url.includes('?') ? '&' : '?'}${search}`;
  }
  const headers: Record<string, string> = { host: testHost };
  for (const [name, value] of Object.entries(givenHeaders ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = String(value);
  }
  let body: string | Buffer | undefined;
  if (payload === undefined || typeof payload === 'string' || Buffer.isBuffer(payload)) body = payload;
  else {
    body = JSON.stringify(payload);
    headers['content-type'] ??= 'application/json';
  }
  const signed = await signRequest({
    method,
    url,
    headers,
    body,
    credentials: caller.credentials,
    region: testRegion,
    ...(signing.date ? { date: signing.date } : {}),
  });
  return app.inject({
    ...rest,
    method,
    url,
    headers: signed,
    ...(body === undefined ? {} : { payload: body }),
  });
}

import { createHmac } from 'node:crypto';
import { createServer } from 'node:net';
import { errors } from 'jose';
import t, { type Test } from 'tap';
import {
  CognitoIdTokenVerifier,
  type CognitoIdTokenVerifierOptions,
} from '../src/adapters/cognito-id-token-verifier.js';
import { foreignKey, type LocalIdProvider, startLocalIdProvider } from './helpers/local-id-provider.js';

function verifierFor(
  idProvider: LocalIdProvider,
  now = () => new Date(),
  options: Partial<CognitoIdTokenVerifierOptions> = {},
) {
  return new CognitoIdTokenVerifier({
    issuer: idProvider.issuer,
    jwksUrl: `${idProvider.issuer}/.well-known/jwks.json`,
    clientId: idProvider.clientId,
    clock: now,
    ...options,
  });
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const header = { alg: 'RS256', typ: 'JWT', kid: 'test-key-1' };

/**
 * jose times its JWKS cache (cooldown, max age) with Date.now(), not with the verifier's clock: moves
 * Date.now() forward by what the returned function is given, until the test ends. Verifiers of such a test
 * take `() => new Date(Date.now())` as clock, so the tokens it mints (iat = Date.now()) stay valid.
 */
function jwksCacheClock(t: Test): (ms: number) => void {
  const realNow = Date.now.bind(Date);
  let offset = 0;
  t.capture(Date, 'now', () => realNow() + offset);
  return (ms) => {
    offset += ms;
  };
}

t.test('a Cognito ID token of the pool and app client verifies to its subject', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const verifier = verifierFor(idProvider);
  t.same(await verifier.verify(idProvider.idToken('alice-sub')), { sub: 'alice-sub' });
  t.same(await verifier.verify(idProvider.idToken('bob-sub', { aud: ['x', idProvider.clientId] })), {
    sub: 'bob-sub',
  });
  t.equal(idProvider.jwksFetches(), 1, 'the keys are fetched once and kept');
});

t.test('tokens that must not verify', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const verifier = verifierFor(idProvider);
  const valid = idProvider.idToken('alice-sub');
  const [validHeader, validClaims] = valid.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(validClaims, 'base64url').toString()) as Record<string, unknown>;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwksResponse = await fetch(`${idProvider.issuer}/.well-known/jwks.json`);
  const publicJwk = ((await jwksResponse.json()) as { keys: Record<string, string>[] }).keys[0];
  const fetchesBefore = idProvider.jwksFetches();
  const hmacConfusion = (() => {
    // The classic confusion: HS256 keyed with the public key, hoping the verifier follows `alg`.
    const input = `${encode({ ...header, alg: 'HS256' })}.${encode(claims)}`;
    const signature = createHmac('sha256', JSON.stringify(publicJwk)).update(input).digest('base64url');
    return `${input}.${signature}`;
  })();
  const { iat: _iat, ...claimsWithoutIat } = claims;
  const { sub: _sub, ...claimsWithoutSub } = claims;
  const cases: [string, string, string][] = [
    [
      'alg none',
      `${encode({ alg: 'none', kid: 'test-key-1' })}.${encode(claims)}.`,
      'unexpected signature algorithm',
    ],
    [
      'alg none, with a signature',
      `${encode({ alg: 'none' })}.${encode(claims)}.AAAA`,
      'unexpected signature algorithm',
    ],
    ['HS256 keyed with the public key', hmacConfusion, 'unexpected signature algorithm'],
    ['signed by another key', idProvider.sign(header, claims, foreignKey()), 'bad signature'],
    [
      'claims changed after signing',
      `${validHeader}.${encode({ ...claims, sub: 'mallory' })}.${valid.split('.')[2]}`,
      'bad signature',
    ],
    ['an unknown key id', idProvider.sign({ ...header, kid: 'other' }, claims), 'unknown signing key'],
    ['no key id', idProvider.sign({ alg: 'RS256' }, claims), 'no key id'],
    ['a key id that is not a string', idProvider.sign({ alg: 'RS256', kid: 1 }, claims), 'no key id'],
    // jose refuses an extension it does not know (JOSENotSupported) and a malformed `crit` (JWSInvalid).
    ['a critical header', idProvider.sign({ ...header, crit: ['exp'] }, claims), 'unsupported header'],
    ['a critical header, empty', idProvider.sign({ ...header, crit: [] }, claims), 'malformed token'],
    [
      'another issuer',
      idProvider.idToken('a', { iss: 'https://cognito-idp.us-east-1.amazonaws.com/x_y' }),
      'unexpected issuer',
    ],
    ['another audience', idProvider.idToken('a', { aud: 'other-client' }), 'unexpected audience'],
    // Cognito's access tokens name no audience (`client_id` instead): jose refuses them for that first.
    [
      'an access token',
      idProvider.idToken('a', { token_use: 'access', aud: undefined, client_id: idProvider.clientId }),
      'missing aud claim',
    ],
    [
      'an access token naming the client as audience',
      idProvider.idToken('a', { token_use: 'access' }),
      'not an ID token',
    ],
    ['no token_use', idProvider.idToken('a', { token_use: undefined }), 'not an ID token'],
    ['expired', idProvider.idToken('a', { exp: nowSeconds() - 30 }), 'expired'],
    ['no expiry', idProvider.idToken('a', { exp: undefined }), 'missing exp claim'],
    ['an expiry that is not a number', idProvider.idToken('a', { exp: 'never' }), 'invalid exp claim'],
    ['issued in the future', idProvider.idToken('a', { iat: nowSeconds() + 600 }), 'issued in the future'],
    ['no issue time', idProvider.sign(header, claimsWithoutIat), 'missing iat claim'],
    [
      'issued more than a day ago',
      idProvider.idToken('a', { iat: nowSeconds() - 86_400 - 60, exp: nowSeconds() + 3600 }),
      'too old',
    ],
    ['not yet valid', idProvider.idToken('a', { nbf: nowSeconds() + 600 }), 'not yet valid'],
    ['no subject', idProvider.idToken('', {}), 'no subject'],
    ['a subject that is not a string', idProvider.idToken('a', { sub: 42 }), 'no subject'],
    ['without a subject', idProvider.sign(header, claimsWithoutSub), 'missing sub claim'],
    ['two parts', `${validHeader}.${validClaims}`, 'malformed token'],
    ['not JSON', `${encode('x').slice(0, 2)}.${validClaims}.AAAA`, 'malformed token'],
    // jose checks the signature before it reads the claims: unsigned garbage is a bad signature...
    ['an array of claims, unsigned', `${validHeader}.${encode([1])}.AAAA`, 'bad signature'],
    // ...and a signed claims set that is not a JSON object is malformed.
    [
      'an array of claims, signed',
      idProvider.sign(header, [1] as unknown as Record<string, unknown>),
      'malformed claims',
    ],
    ['just over 8 KiB', 'a'.repeat(8 * 1024 + 1), 'token too long'],
    ['a megabyte', 'a'.repeat(1024 * 1024), 'token too long'],
  ];
  for (const [name, token, reason] of cases) {
    const rejection = await verifier.verify(token).then(
      () => undefined,
      (error: unknown) => error,
    );
    t.match(rejection, { name: 'AuthenticationError', reason }, name);
    // The reason and message are fixed texts, and nothing of jose's (which carries the claims) is kept.
    t.equal((rejection as Error | undefined)?.cause, undefined, `${name}: no cause`);
    t.notMatch((rejection as Error | undefined)?.message ?? '', /alice|mallory|test-key|testclient/, name);
  }
  t.equal(idProvider.jwksFetches(), fetchesBefore + 1, 'forged kids did not refetch within the cooldown');
});

t.test('a token just under the length limit is parsed', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const verifier = verifierFor(idProvider);
  const padded = (padding: number) => idProvider.idToken('a', { padding: 'x'.repeat(padding) });
  const base = padded(0).length;
  const fits = padded(Math.floor(((8 * 1024 - base) * 3) / 4) - 4);
  t.ok(fits.length <= 8 * 1024 && fits.length > 8 * 1024 - 16, `a token of ${fits.length} characters`);
  t.same(await verifier.verify(fits), { sub: 'a' });
});

t.test('a little clock skew is tolerated on expiry, issue and not-before times', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const verifier = verifierFor(idProvider);
  t.same(await verifier.verify(idProvider.idToken('a', { exp: nowSeconds() - 2 })), { sub: 'a' });
  t.same(await verifier.verify(idProvider.idToken('a', { iat: nowSeconds() + 2 })), { sub: 'a' });
  t.same(await verifier.verify(idProvider.idToken('a', { nbf: nowSeconds() + 2 })), { sub: 'a' });
});

t.test('the validity window is judged by the injected clock', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const token = idProvider.idToken('a');
  const inTwoHours = () => new Date(Date.now() + 2 * 3600_000);
  await t.rejects(verifierFor(idProvider, inTwoHours).verify(token), {
    name: 'AuthenticationError',
    reason: 'expired',
  });
  const anHourAgo = () => new Date(Date.now() - 3600_000);
  await t.rejects(verifierFor(idProvider, anHourAgo).verify(token), {
    name: 'AuthenticationError',
    reason: 'issued in the future',
  });
});

t.test('unknown key ids refetch the JWKS at most once per cooldown', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const advance = jwksCacheClock(t);
  const verifier = verifierFor(idProvider, () => new Date(Date.now()));
  const unknown = idProvider.sign(
    { ...header, kid: 'rotated-key' },
    {
      sub: 'a',
      aud: idProvider.clientId,
      iss: idProvider.issuer,
      token_use: 'id',
      iat: nowSeconds(),
      exp: nowSeconds() + 3600,
    },
  );
  for (let i = 0; i < 5; i++)
    await t.rejects(verifier.verify(unknown), { name: 'AuthenticationError', reason: 'unknown signing key' });
  t.equal(idProvider.jwksFetches(), 1, 'a flood of unknown kids fetches once');
  advance(29_000);
  await t.rejects(verifier.verify(unknown), { name: 'AuthenticationError', reason: 'unknown signing key' });
  t.equal(idProvider.jwksFetches(), 1, 'not within the 30 s cooldown');
  advance(2_000);
  await t.rejects(verifier.verify(unknown), { name: 'AuthenticationError', reason: 'unknown signing key' });
  t.equal(idProvider.jwksFetches(), 2, 'and again after the cooldown (keys rotate)');
  await t.rejects(verifier.verify(unknown), { name: 'AuthenticationError', reason: 'unknown signing key' });
  t.equal(idProvider.jwksFetches(), 2, 'then the cooldown starts over');
  t.same(await verifier.verify(idProvider.idToken('a')), { sub: 'a' }, 'known keys need no fetch');
  t.equal(idProvider.jwksFetches(), 2);
});

t.test('concurrent first verifications share one JWKS fetch', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const verifier = verifierFor(idProvider);
  const callers = await Promise.all(
    Array.from({ length: 10 }, (_, i) => verifier.verify(idProvider.idToken(`user-${i}`))),
  );
  t.equal(callers.length, 10);
  t.equal(idProvider.jwksFetches(), 1);
});

t.test('the keys are fetched again once the cache is older than its max age (jose)', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const advance = jwksCacheClock(t);
  const verifier = verifierFor(idProvider, () => new Date(Date.now()));
  t.same(await verifier.verify(idProvider.idToken('a')), { sub: 'a' });
  advance(9 * 60_000);
  t.same(await verifier.verify(idProvider.idToken('a')), { sub: 'a' });
  t.equal(idProvider.jwksFetches(), 1, 'within 10 minutes the cached keys are used');
  advance(61_000);
  // A stale cache is refreshed before use: if the JWKS is down then, known keys do not help.
  idProvider.failJwks(true);
  await t.rejects(verifier.verify(idProvider.idToken('a')), {
    name: 'DependencyUnavailableError',
    dependency: 'identity-provider',
  });
  idProvider.failJwks(false);
  t.same(await verifier.verify(idProvider.idToken('a')), { sub: 'a' });
  t.equal(idProvider.jwksFetches(), 3);
});

t.test('without the keys the caller cannot be judged: unavailable, not unauthenticated', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  idProvider.failJwks(true);
  const verifier = verifierFor(idProvider);
  const rejection = await verifier.verify(idProvider.idToken('a')).catch((error: unknown) => error);
  t.match(rejection, { name: 'DependencyUnavailableError', dependency: 'identity-provider' });
  t.type((rejection as Error).cause, errors.JOSEError, "the cause is jose's: not a 200");
  idProvider.failJwks(false);
  t.same(await verifier.verify(idProvider.idToken('a')), { sub: 'a' }, 'a failed fetch is not cached');
});

t.test('a JWKS endpoint that is unreachable, slow or broken is a 503', async (t) => {
  const idProvider = await startLocalIdProvider(t);
  const token = idProvider.idToken('a');
  const unavailable = { name: 'DependencyUnavailableError', dependency: 'identity-provider' };

  const closedPort = await (async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  })();
  await t.rejects(
    verifierFor(idProvider, undefined, {
      jwksUrl: `http://127.0.0.1:${closedPort}/x/.well-known/jwks.json`,
    }).verify(token),
    unavailable,
    'connection refused',
  );

  const hanging: typeof fetch = (_url, init) =>
    new Promise((_resolve, reject) => {
      const signal = init?.signal as AbortSignal;
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  const slow = await verifierFor(idProvider, undefined, { fetch: hanging, jwksTimeoutMs: 50 })
    .verify(token)
    .catch((error: unknown) => error);
  t.match(slow, unavailable, 'a timeout');
  t.type((slow as Error).cause, errors.JWKSTimeout);

  const answering = (response: () => Response): typeof fetch => {
    return async () => response();
  };
  for (const [name, response] of [
    ['not JSON', () => new Response('<html>', { status: 200 })],
    ['not a key set', () => Response.json({ keys: 'none' })],
    // jose does not follow redirects.
    ['a redirect', () => new Response(null, { status: 302, headers: { location: idProvider.issuer } })],
    ['throttled', () => new Response(null, { status: 429 })],
  ] as const) {
    await t.rejects(
      verifierFor(idProvider, undefined, { fetch: answering(response) }).verify(token),
      unavailable,
      name,
    );
  }
  t.equal(idProvider.jwksFetches(), 0, 'the injected fetch was used');
});

// The local SigV4 verifier against signatures it did not compute: AWS's test suite and botocore (the AWS
// CLI's signer). Each correctly signed request verifies; each copy with one signed part changed is refused.
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { AuthenticationError, type AuthenticationFailure } from '../src/auth/authenticator.js';
import { type SignedRequest, SigV4Verifier } from '../src/auth/sigv4-authenticator.js';
import { splitTarget } from '../src/auth/sigv4-canonical-request.js';
import { httpMessage, rawRequest } from './helpers/raw-http.js';
import {
  authorizationOf,
  awsTestSuite,
  awsTestSuite2011,
  botocoreExecuteApi,
  exampleCredentials,
  parseRequest,
  refusedLikeAws,
  type SignatureVector,
  signedAt2011,
  signedAt2015,
} from './helpers/sigv4-vectors.js';
import {
  allPermissions,
  assertNoCardNumberLogged,
  createTestStack,
  policyFor,
} from './helpers/test-stack.js';

const principalArn = 'arn:aws:iam::000000000000:role/sigv4-vector-signer';
const exampleSigner = { principalArn, credentials: exampleCredentials };

/** How a family of vectors was signed. */
interface Signing {
  service: string;
  date: string;
  at: Date;
}
const suite2015: Signing = { service: 'service', date: '20150830', at: signedAt2015 };
const suite2011: Signing = { service: 'host', date: '20110909', at: signedAt2011 };
const botocore: Signing = { service: 'execute-api', date: '20150830', at: signedAt2015 };

function verifierAt(signing: Signing, now = signing.at): SigV4Verifier {
  return new SigV4Verifier({
    credentials: [{ ...exampleCredentials, principalArn }],
    region: 'us-east-1',
    service: signing.service,
    clock: () => now,
  });
}

/** A request as the verifier receives it, each header's values as a list. */
type VectorRequest = SignedRequest & { headers: Record<string, string[]> };

function signedRequest(vector: SignatureVector, signing: Signing): VectorRequest {
  const parsed = parseRequest(vector.request);
  return { ...parsed, headers: { ...parsed.headers, authorization: [authorizationOf(vector, signing)] } };
}

function refusal(verifier: SigV4Verifier, request: SignedRequest): AuthenticationFailure | 'accepted' {
  try {
    verifier.verify(request);
    return 'accepted';
  } catch (error) {
    if (error instanceof AuthenticationError) return error.reason;
    throw error;
  }
}

/** Copies of a signed request with one part the signature covers changed. */
function tamperedCopies(request: VectorRequest): { what: string; request: VectorRequest }[] {
  const { path } = splitTarget(request.url);
  const withHeader = (name: string, values: string[]) => ({
    ...request,
    headers: { ...request.headers, [name]: values },
  });
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))?.[1]?.split(';');
  const dateHeader = request.headers['x-amz-date'] ? 'x-amz-date' : 'date';
  const [date = ''] = request.headers[dateHeader] ?? [];
  const oneSecondLater =
    dateHeader === 'x-amz-date'
      ? date.replace(/(\d{2})Z$/, (_, seconds) => `${String(Number(seconds) + 1).padStart(2, '0')}Z`)
      : date.replace(/(\d{2}) GMT$/, (_, seconds) => `${String(Number(seconds) + 1).padStart(2, '0')} GMT`);
  const copies = [
    { what: 'method', request: { ...request, method: request.method === 'GET' ? 'POST' : 'GET' } },
    { what: 'path', request: { ...request, url: `${path}x${request.url.slice(path.length)}` } },
    {
      what: 'query value',
      request: { ...request, url: request.url.includes('?') ? `${request.url}x` : `${path}?x=1` },
    },
    { what: 'body', request: { ...request, body: Buffer.concat([request.body, Buffer.from('x')]) } },
    { what: `${dateHeader} (one second later)`, request: withHeader(dateHeader, [oneSecondLater]) },
  ];
  for (const name of signedHeaders ?? []) {
    if (name === dateHeader) continue;
    const values = request.headers[name] ?? [];
    copies.push({
      what: `signed header ${name}`,
      request: withHeader(name, [...values.slice(0, -1), `${values.at(-1)}x`]),
    });
    if (values.length > 1) {
      copies.push({ what: `order of the ${name} values`, request: withHeader(name, [...values].reverse()) });
    }
  }
  return copies;
}

const families: [string, readonly SignatureVector[], Signing][] = [
  ['AWS SigV4 test suite', awsTestSuite, suite2015],
  ['AWS SigV4 test suite, 2011 query cases', awsTestSuite2011, suite2011],
  ['botocore for execute-api', botocoreExecuteApi, botocore],
];

for (const [family, vectors, signing] of families) {
  t.test(`${family}: each request verifies; each copy with a signed part changed is refused`, async (t) => {
    const verifier = verifierAt(signing);
    for (const vector of vectors) {
      const request = signedRequest(vector, signing);
      t.equal(refusal(verifier, request), 'accepted', vector.name);
      for (const { what, request: tampered } of tamperedCopies(request)) {
        t.equal(refusal(verifier, tampered), 'signature-mismatch', `${vector.name}: ${what} changed`);
      }
    }
  });
}

t.test('refused as AWS refuses them', async (t) => {
  for (const vector of refusedLikeAws) {
    const signing = vector.service === 'execute-api' ? botocore : suite2015;
    t.equal(refusal(verifierAt(signing), signedRequest(vector, signing)), vector.reason, vector.name);
  }
});

t.test('the injected clock: 5 minutes of skew either way, not a second more', async (t) => {
  const [vanilla] = awsTestSuite;
  const request = signedRequest(vanilla as SignatureVector, suite2015);
  const at = (seconds: number) => verifierAt(suite2015, new Date(signedAt2015.getTime() + seconds * 1000));
  t.equal(refusal(at(300), request), 'accepted', '5 minutes after signing');
  t.equal(refusal(at(-300), request), 'accepted', '5 minutes before signing');
  t.equal(refusal(at(301), request), 'expired', '5 minutes 1 second after');
  t.equal(refusal(at(-301), request), 'expired', '5 minutes 1 second before');
});

t.test('over HTTP: botocore-signed requests reach the tokenizer as AWS would let them', async (t) => {
  const stack = await createTestStack(t, {
    callers: [exampleSigner],
    policy: policyFor([{ caller: exampleSigner, tenant: 'default', permissions: allPermissions }]),
    authenticationClock: () => signedAt2015,
  });
  await stack.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = stack.app.server.address() as AddressInfo;
  const send = (vector: SignatureVector, edit: (request: VectorRequest) => VectorRequest = (r) => r) => {
    const request = edit(signedRequest(vector, botocore));
    const headers: [string, string][] = Object.entries(request.headers).flatMap(([name, values]) =>
      values.map((value): [string, string] => [name, value]),
    );
    headers.push(['content-length', String(request.body.length)], ['connection', 'close']);
    return rawRequest(port, httpMessage(request.method, request.url, headers, request.body));
  };
  const byName = (start: string) =>
    botocoreExecuteApi.find(({ name }) => name.startsWith(start)) as SignatureVector;

  const spaceAsPlus = await send(byName('a space in a query value'));
  t.equal(spaceAsPlus.status, 200, '?q=a+b signed by botocore as q=a%20b (the finding)');
  for (const name of [
    'a literal plus',
    'reserved characters',
    'duplicate keys',
    'UTF-8 in a query',
    'a query already',
    'a header sent twice',
    'session credentials',
  ]) {
    t.equal((await send(byName(name))).status, 200, name);
  }
  t.equal((await send(byName('a JSON POST'))).status, 201, 'a JSON POST tokenizes');
  const form = await send(byName('a form-encoded POST'));
  t.not(form.status, 401, `a form-encoded POST is authenticated (then answered ${form.status})`);
  const path = await send(byName('UTF-8 and a space in the path'));
  t.not(path.status, 401, `an encoded path is authenticated (then answered ${path.status})`);

  const dotted = await send(byName('a dot segment'));
  t.equal(
    dotted.status,
    401,
    'a path not in normal form is refused: the router would not see what was signed',
  );
  t.match(JSON.parse(dotted.body), { detail: /path/ });
  const [urlFormPlus] = refusedLikeAws;
  t.equal((await send(urlFormPlus as SignatureVector)).status, 401, 'q=a+b signed as is: refused, as by AWS');
  const tampered = await send(byName('a space in a query value'), (request) => ({
    ...request,
    url: '/health/live?q=a+c',
  }));
  t.equal(tampered.status, 401, 'a query value changed in transit');
});

assertNoCardNumberLogged(t);

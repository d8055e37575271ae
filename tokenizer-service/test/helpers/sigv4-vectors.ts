// Independent Signature Version 4 vectors, as data: requests exactly as sent, and the signature AWS
// expects for them. None was computed by this repository's code or by the JavaScript SDK.
//
// - `awsTestSuite`: the AWS Signature Version 4 Test Suite (aws-c-auth v0.3.15, the copy botocore runs in
//   tests/unit/auth/aws4_testsuite; Copyright 2019 Amazon.com, Inc. or its affiliates, Apache License 2.0).
//   Key AKIDEXAMPLE, region us-east-1, service `service`, signed at 2015-08-30T12:36:00Z. In
//   `get-vanilla-with-session-token` the token header is written into the request (the suite's request
//   file leaves it out; its canonical request has it).
// - `awsTestSuite2011`: the two query cases of the suite's 2011 edition (botocore's copy before 2019) that
//   the current edition dropped: a `+` and reserved characters in the query. Service `host`, signed with a
//   Date header (Mon, 09 Sep 2011 23:36:00 GMT). Their request lines end the request target at the first
//   space, as their canonical requests read them.
// - `botocoreExecuteApi`: requests signed for `execute-api` by botocore 1.43.11 (the AWS CLI's signer,
//   SigV4Auth + AWSRequest, query given as `params` unless noted) with the same key and date, host
//   tokenizer.test.

/** The suite's example credentials (not a real key). */
export const exampleCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
} as const;

/** When the suite and the botocore vectors were signed. */
export const signedAt2015 = new Date('2015-08-30T12:36:00Z');
/** When the 2011 vectors were signed. */
export const signedAt2011 = new Date('2011-09-09T23:36:00Z');

export interface SignatureVector {
  name: string;
  /** The HTTP request as sent, `\n` line ends, without its Authorization header. */
  request: string;
  signedHeaders: string;
  /** The signature AWS (or botocore) computes for it. */
  signature: string;
}

export const awsTestSuite: readonly SignatureVector[] = [
  {
    name: 'get-vanilla',
    request: 'GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-vanilla-empty-query-key',
    request: 'GET /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: 'a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb',
  },
  {
    name: 'get-vanilla-query-order-key',
    request:
      'GET /?Param1=value2&Param1=Value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1',
  },
  {
    name: 'get-vanilla-query-order-value',
    request:
      'GET /?Param1=value2&Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694',
  },
  {
    name: 'get-vanilla-query-order-key-case',
    request:
      'GET /?Param2=value2&Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  {
    name: 'get-vanilla-query-order-encoded',
    request:
      'GET /?Param-3=Value3&Param=Value2&%E1%88%B4=Value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac',
  },
  {
    name: 'get-vanilla-query-unreserved',
    request:
      'GET /?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  {
    name: 'get-vanilla-utf8-query',
    request: 'GET /?\u1234=bar HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  },
  {
    name: 'get-unreserved',
    request:
      'GET /-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  {
    name: 'get-utf8',
    request: 'GET /\u1234 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85',
  },
  {
    name: 'get-vanilla-with-session-token',
    request:
      'GET / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nX-Amz-Security-Token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267',
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8',
  },
  {
    name: 'get-header-key-duplicate',
    request:
      'GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value2\nMy-Header1:value2\nMy-Header1:value1\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea',
  },
  {
    name: 'get-header-value-multiline',
    request:
      'GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\n  value2\n     value3\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd',
  },
  {
    name: 'get-header-value-order',
    request:
      'GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value4\nMy-Header1:value1\nMy-Header1:value3\nMy-Header1:value2\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: '08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01',
  },
  {
    name: 'get-header-value-trim',
    request:
      'GET / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1: value1\nMy-Header2: "a   b   c"\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;my-header1;my-header2;x-amz-date',
    signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  {
    name: 'post-header-key-case',
    request: 'POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-header-key-sort',
    request: 'POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:value1\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  {
    name: 'post-header-value-case',
    request: 'POST / HTTP/1.1\nHost:example.amazonaws.com\nMy-Header1:VALUE1\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
  },
  {
    name: 'post-vanilla',
    request: 'POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
  {
    name: 'post-vanilla-query',
    request: 'POST /?Param1=value1 HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  },
  {
    name: 'post-x-www-form-urlencoded',
    request:
      'POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\nParam1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  {
    name: 'post-x-www-form-urlencoded-parameters',
    request:
      'POST / HTTP/1.1\nContent-Type:application/x-www-form-urlencoded; charset=utf8\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\n\nParam1=value1',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
  },
  {
    name: 'post-sts-header-before',
    request:
      'POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nX-Amz-Security-Token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==',
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
  {
    name: 'get-relative',
    request: 'GET /example/.. HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-relative-relative',
    request: 'GET /example1/example2/../.. HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-slash',
    request: 'GET // HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-slash-dot-slash',
    request: 'GET /./ HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
  },
  {
    name: 'get-slash-pointless-dot',
    request: 'GET /./example HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: 'ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5',
  },
  {
    name: 'get-slashes',
    request: 'GET //example// HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84',
  },
  {
    name: 'get-space',
    request: 'GET /example space/ HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741',
  },
  {
    name: 'get-special-character',
    request: 'GET /example/$delete HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: 'a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27',
  },
];

export const awsTestSuite2011: readonly SignatureVector[] = [
  {
    name: 'post-vanilla-query-nonunreserved',
    request:
      'POST /?@#$%^&+=/,?><`";:\\|][{} HTTP/1.1\nDate:Mon, 09 Sep 2011 23:36:00 GMT\nHost:host.foo.com',
    signedHeaders: 'date;host',
    signature: '28675d93ac1d686ab9988d6617661da4dffe7ba848a2285cb75eac6512e861f9',
  },
  {
    name: 'post-vanilla-query-space',
    request: 'POST /?f HTTP/1.1\nDate:Mon, 09 Sep 2011 23:36:00 GMT\nHost:host.foo.com',
    signedHeaders: 'date;host',
    signature: 'b7eb653abe5f846e7eee4d1dba33b15419dc424aaf215d49b1240732b10cc4ca',
  },
];

/** botocore 1.43.11 for `execute-api`; each verifies on AWS's rules unless listed in `refusedLikeAws`. */
export const botocoreExecuteApi: readonly SignatureVector[] = [
  {
    name: 'a space in a query value, sent as + (params {q: "a b"})',
    request: 'GET /health/live?q=a+b HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '70cc0bb19218ce15c3a92adaf41ecbd773d9e4a7b8ff490e1b439c349a9379cd',
  },
  {
    name: 'a literal plus in a query value, sent as %2B (params {q: "a+b"})',
    request: 'GET /health/live?q=a%2Bb HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '2d2eff78fb30cb2dc9814dcd67e6680bbc643eb9e7293b47aad51bfc6ded3346',
  },
  {
    name: 'reserved characters in a query name and value',
    request:
      'GET /health/live?k%21%2A%27%28%29=v+%40%23%24%26%3D%2F%2C%3F%3B%3A%5B%5D%2B%25 HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '3b18b2a1d8f98c29f0147df07693476231755f9cc1b87d79be0e4cd49458608a',
  },
  {
    name: 'duplicate keys, sorted by name then value',
    request: 'GET /health/live?a=2&B=x&a=1&a=10 HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '8141acff625a61fdbc05e4af44e47b25f708d4235b51d959e386650d6131cb77',
  },
  {
    name: 'UTF-8 in a query name and value',
    request:
      'GET /health/live?%E1%88%B4=%C3%BC%E2%82%AC HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '9fd6d9b4ea86b73d56ad0c75246fd90fcf4499e0b024d755d9a68edd6e11b5c9',
  },
  {
    name: 'a query already in canonical encoding, given in the URL',
    request: 'GET /health/live?b=%2A&a=c%20d HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '24424c65cb88d53c32f88216dc4fef9e4c2faf7b444802d07eeb0ca4d2edcf32',
  },
  {
    name: 'UTF-8 and a space in the path (signed encoded twice)',
    request: 'GET /v1/tokens/caf%C3%A9%20x HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '6e1e1ca30b12e7bf42bb1cb689c8c49c9f39b042db62fe1daefbc66fe510c9e2',
  },
  {
    name: 'a dot segment and a repeated slash in the path (signed normalised)',
    request: 'GET /health/./live// HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '84b2c02f1b20a9815910cf09947e41c0ae03b9b0e9919d835639727eff1a5e70',
  },
  {
    name: 'a JSON POST',
    request:
      'POST /v1/tokens HTTP/1.1\nContent-Type:application/json\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z\n\n{"value":"hello"}',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: '8fdd3f09fd520759c97d95b09f27586801f37985b91f2a3239bcb51d3cc78402',
  },
  {
    name: 'a form-encoded POST',
    request:
      'POST /v1/tokens HTTP/1.1\nContent-Type:application/x-www-form-urlencoded\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z\n\nvalue=hello+world&x=%2B',
    signedHeaders: 'content-type;host;x-amz-date',
    signature: 'dc99a17be0165063948a61ff79fb1a778f5e1d881cad501dd032bbab27a44b36',
  },
  {
    name: 'a header sent twice, with inner whitespace',
    request:
      'GET /health/live HTTP/1.1\nHost:tokenizer.test\nX-Note:v2\nX-Note:  a   b  \nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date;x-note',
    signature: '5a62edb34ec020b1273453953392eb92f43f107771b6aa31eddbba4b848246b2',
  },
  {
    name: 'session credentials',
    request:
      'GET /health/live HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z\nX-Amz-Security-Token:session-token-example',
    signedHeaders: 'host;x-amz-date;x-amz-security-token',
    signature: '4c7fb6a015872933f166af3a9612cc0a87f45beb454f48d7dd8ec901422dbfde',
  },
];

/**
 * Signed requests AWS refuses, and so must the tokenizer:
 * - botocore given a URL whose query is not in canonical encoding signs it as is (`q=a+b`), while AWS
 *   reads the `+` as a space and computes `q=a%20b`;
 * - the suite's `post-sts-header-after` adds the session token after signing: API Gateway requires it
 *   signed (the tokenizer refuses an unsigned X-Amz-Security-Token: `unsigned-header`).
 */
export const refusedLikeAws: readonly (SignatureVector & { service: string; reason: string })[] = [
  {
    name: 'botocore given the URL /health/live?q=a+b (signs q=a+b)',
    service: 'execute-api',
    reason: 'signature-mismatch',
    request: 'GET /health/live?q=a+b HTTP/1.1\nHost:tokenizer.test\nX-Amz-Date:20150830T123600Z',
    signedHeaders: 'host;x-amz-date',
    signature: '25b5a2461f5b42e6dbcd60f0cd3fef87718e267d94edcfb9090064a882f3b39b',
  },
  {
    name: 'post-sts-header-after',
    service: 'service',
    reason: 'unsigned-header',
    request:
      'POST / HTTP/1.1\nHost:example.amazonaws.com\nX-Amz-Date:20150830T123600Z\nX-Amz-Security-Token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==',
    signedHeaders: 'host;x-amz-date',
    signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
  },
];

/** A request as the verifier receives it, parsed from a vector's text. */
export interface ParsedRequest {
  method: string;
  /** The request target, as sent. */
  url: string;
  /** Lower-case names; a header sent twice has two values, in order. */
  headers: Record<string, string[]>;
  body: Buffer;
}

/**
 * Parses a vector's request text: `METHOD target HTTP/1.1`, `Name:value` lines (a line starting with
 * whitespace continues the previous value, as the suite's multi-line header does), a blank line, the body.
 * The target may hold spaces (the suite's `get-space`): it runs to the last space of the request line.
 */
export function parseRequest(text: string): ParsedRequest {
  const blank = text.indexOf('\n\n');
  const head = blank < 0 ? text : text.slice(0, blank);
  const body = blank < 0 ? '' : text.slice(blank + 2);
  const [requestLine = '', ...lines] = head.split('\n');
  const method = requestLine.slice(0, requestLine.indexOf(' '));
  const url = requestLine.slice(method.length + 1, requestLine.lastIndexOf(' '));
  const headers: Record<string, string[]> = Object.create(null);
  let last: string[] | undefined;
  for (const line of lines) {
    if (/^\s/.test(line) && last) {
      last[last.length - 1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    last = headers[name] ??= [];
    last.push(line.slice(colon + 1));
  }
  return { method, url, headers, body: Buffer.from(body, 'utf8') };
}

/** The Authorization header of a vector. */
export function authorizationOf(
  vector: SignatureVector,
  scope: { date: string; region?: string; service: string },
): string {
  const credential = `${exampleCredentials.accessKeyId}/${scope.date}/${scope.region ?? 'us-east-1'}/${scope.service}/aws4_request`;
  return `AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=${vector.signedHeaders}, Signature=${vector.signature}`;
}

import t from 'tap';
import { cognitoIssuer, loadConfig } from '../src/config.js';

const required = {
  AWS_REGION: 'eu-west-1',
  ORDER_TABLE_NAME: 'orders',
  TOKENIZER_API_URL: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
  COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
  COGNITO_CLIENT_ID: '4vfvnp24jvjy0xqs8nst7w5sh',
};

t.test('defaults, and the issuer of a Cognito user pool on AWS', async (t) => {
  const config = loadConfig(required);
  t.match(config, {
    LOG_LEVEL: 'info',
    TOKENIZER_TIMEOUT_MS: 3000,
    RETRY_AFTER_SECONDS: 1,
    ORDER_HOST: '127.0.0.1',
    ORDER_PORT: 3000,
  });
  t.same(cognitoIssuer(config), {
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
    jwksUrl: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123/.well-known/jwks.json',
  });
});

t.test("the issuer's domain is the partition's (AWS_URL_SUFFIX, set by the CDK)", async (t) => {
  const config = loadConfig({
    ...required,
    AWS_REGION: 'cn-north-1',
    COGNITO_USER_POOL_ID: 'cn-north-1_AbCdEf123',
    AWS_URL_SUFFIX: 'amazonaws.com.cn',
  });
  t.equal(
    cognitoIssuer(config).issuer,
    'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbCdEf123',
  );
  t.throws(() => loadConfig({ ...required, AWS_URL_SUFFIX: 'evil.example/x' }), /AWS_URL_SUFFIX/);
});

t.test('with COGNITO_ENDPOINT (cognito-local) the issuer is the endpoint and the pool', async (t) => {
  const config = loadConfig({
    ...required,
    COGNITO_USER_POOL_ID: 'local_0iWvYqG2',
    COGNITO_ENDPOINT: 'http://localhost:9229/',
  });
  t.same(cognitoIssuer(config), {
    issuer: 'http://localhost:9229/local_0iWvYqG2',
    jwksUrl: 'http://localhost:9229/local_0iWvYqG2/.well-known/jwks.json',
  });
});

t.test('a missing or bad variable stops the start, named', async (t) => {
  for (const name of Object.keys(required)) {
    const env: Record<string, string | undefined> = { ...required, [name]: undefined };
    t.throws(() => loadConfig(env), { message: new RegExp(name) }, `missing ${name}`);
  }
  const bad: [string, string][] = [
    ['TOKENIZER_API_URL', 'ftp://tokenizer'],
    ['TOKENIZER_TIMEOUT_MS', '10'],
    ['COGNITO_USER_POOL_ID', 'no-underscore'],
    ['ORDER_PORT', 'http'],
    ['LOG_LEVEL', 'loud'],
  ];
  for (const [name, value] of bad) {
    t.throws(() => loadConfig({ ...required, [name]: value }), { message: new RegExp(name) }, `bad ${name}`);
  }
});

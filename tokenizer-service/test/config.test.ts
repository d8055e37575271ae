import t from 'tap';
import { loadConfig } from '../src/config.js';

const valid = {
  AWS_REGION: 'eu-west-1',
  TOKEN_VAULT_TABLE_NAME: 'token-vault',
  KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  KEY_STORE_TABLE_NAME: 'branch-keys',
  BRANCH_KEY_KMS_KEY_ARN: 'arn:aws:kms:eu-west-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab',
  AUTHORIZATION_POLICY: '{"principals":[]}',
};

t.test('a valid environment gets documented defaults', async (t) => {
  const config = loadConfig(valid);
  t.equal(config.TOKENIZER_PORT, 3001);
  t.equal(config.TOKENIZER_HOST, '127.0.0.1');
  t.equal(config.DATA_KEY_CACHE_MAX_AGE_SECONDS, 300);
  t.equal(config.DEPENDENCY_TIMEOUT_MS, 2000);
  t.equal(config.ENCRYPTION_PROFILE, 'cached-committing');
  t.equal(config.KEY_STORE_LOGICAL_NAME, 'tokenization-branch-keys');
  t.equal(config.BRANCH_KEY_CACHE_TTL_SECONDS, 300);
  t.equal(config.BRANCH_KEY_CACHE_SIZE, 1000);
  t.equal(config.FINGERPRINT_ROTATION_WINDOW_SECONDS, 2_592_000);
  t.equal(config.TENANT_STATE_CACHE_SECONDS, 30);
  t.equal(loadConfig({ ...valid, TOKENIZER_PORT: '4000' }).TOKENIZER_PORT, 4000);
});

t.test('a missing or bad variable stops the start, naming it', async (t) => {
  for (const name of Object.keys(valid)) {
    const env: Record<string, string> = { ...valid };
    delete env[name];
    t.throws(() => loadConfig(env), { message: new RegExp(name) }, `missing ${name}`);
  }
  t.throws(
    () => loadConfig({ ...valid, KMS_KEY_ARN: 'alias/vault' }),
    { message: /KMS_KEY_ARN/ },
    'alias, not ARN',
  );
  t.throws(
    () => loadConfig({ ...valid, BRANCH_KEY_KMS_KEY_ARN: 'alias/branch-keys' }),
    { message: /BRANCH_KEY_KMS_KEY_ARN/ },
    'branch key KMS key: an ARN too',
  );
  t.throws(() => loadConfig({ ...valid, BRANCH_KEY_CACHE_TTL_SECONDS: '0' }), {
    message: /BRANCH_KEY_CACHE_TTL_SECONDS/,
  });
  t.throws(() => loadConfig({ ...valid, TENANT_STATE_CACHE_SECONDS: '0' }), {
    message: /TENANT_STATE_CACHE_SECONDS/,
  });
  t.throws(() => loadConfig({ ...valid, TOKENIZER_PORT: 'http' }), { message: /TOKENIZER_PORT/ });
  t.throws(() => loadConfig({ ...valid, LOG_LEVEL: 'loud' }), { message: /LOG_LEVEL/ });
  t.throws(() => loadConfig({ ...valid, ENCRYPTION_PROFILE: 'per-item' }), { message: /ENCRYPTION_PROFILE/ });
  t.throws(() => loadConfig({ ...valid, DATA_KEY_CACHE_MAX_AGE_SECONDS: '0' }), {
    message: /DATA_KEY_CACHE_MAX_AGE_SECONDS/,
  });
});

t.test('the authorization policy comes from exactly one of AUTHORIZATION_POLICY and _FILE', async (t) => {
  const { AUTHORIZATION_POLICY, ...withoutPolicy } = valid;
  t.equal(
    loadConfig({ ...withoutPolicy, AUTHORIZATION_POLICY_FILE: '/etc/policy.json' }).AUTHORIZATION_POLICY,
    undefined,
  );
  t.throws(() => loadConfig(withoutPolicy), {
    message: /AUTHORIZATION_POLICY and AUTHORIZATION_POLICY_FILE/,
  });
  t.throws(() => loadConfig({ ...valid, AUTHORIZATION_POLICY_FILE: '/etc/policy.json' }), {
    message: /exactly one of AUTHORIZATION_POLICY and AUTHORIZATION_POLICY_FILE/,
  });
  t.throws(() => loadConfig({ ...valid, AUTHORIZATION_POLICY: '' }), { message: /AUTHORIZATION_POLICY/ });
});

t.test('DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: 60 by default, an integer from 1 to 1,000,000', async (t) => {
  t.equal(loadConfig(valid).DETERMINISTIC_TOKENIZATIONS_PER_MINUTE, 60);
  t.equal(
    loadConfig({ ...valid, DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: '5' })
      .DETERMINISTIC_TOKENIZATIONS_PER_MINUTE,
    5,
  );
  for (const bad of ['0', '-1', '1.5', 'many', '1000001']) {
    t.throws(
      () => loadConfig({ ...valid, DETERMINISTIC_TOKENIZATIONS_PER_MINUTE: bad }),
      { message: /DETERMINISTIC_TOKENIZATIONS_PER_MINUTE/ },
      bad,
    );
  }
});

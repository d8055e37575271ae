// The tokenizer-admin command as the security team runs it (spawned: a process of its own, its env as
// configuration): exit codes scripts branch on, and --json on stdout.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { adminEnv } from '../helpers/admin-kit.js';
import { createTestStack } from '../helpers/test-stack.js';

const bin = fileURLToPath(new URL('../../src/admin/bin.ts', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function admin(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', bin, ...args],
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          ...env,
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

t.test('exit codes and --json', async (t) => {
  const stack = await createTestStack(t, { onboard: false });
  const env = adminEnv(stack);

  const created = await admin(env, 'tenants', 'create', 'acme', '--json');
  t.equal(created.code, 0, created.stderr);
  t.match(JSON.parse(created.stdout), {
    tenant: 'acme',
    status: 'active',
    branchKeyId: 'tenant-acme',
    revision: 1,
  });

  const again = await admin(env, '--json', 'tenants', 'create', 'acme');
  t.equal(again.code, 4, 'an existing tenant: refused');
  t.match(JSON.parse(again.stdout), { error: { code: 'refused', message: /already exists/ } });

  const missing = await admin(env, 'tenants', 'show', 'nobody', '--json');
  t.equal(missing.code, 3, 'no such tenant: not found');
  t.match(JSON.parse(missing.stdout), { error: { code: 'notFound' } });

  const tooShort = await admin(env, 'tenants', 'schedule-shred', 'acme', '--waiting-seconds', '5');
  t.equal(tooShort.code, 2, 'a waiting period below the caches: usage');
  t.match(tooShort.stderr, /at least 330 seconds/);

  const early = await admin(env, 'tenants', 'shred', 'acme');
  t.equal(early.code, 4, 'shred of an active tenant: refused');

  const noToken = await admin(env, 'inspect', 'acme', 'tok_nonexistent0000000000');
  t.equal(noToken.code, 3);

  const unknown = await admin(env, 'tenants', 'explode', 'acme');
  t.equal(unknown.code, 2, 'an unknown command: usage');
  const unconfigured = await admin({}, 'tenants', 'list');
  t.equal(unconfigured.code, 2, 'no configuration: usage');
  t.match(unconfigured.stderr, /AWS_REGION/);
  const help = await admin({}, '--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /schedule-shred|tenants/);
});

t.test('inspect shows metadata, never the value or the fingerprint', async (t) => {
  const stack = await createTestStack(t);
  const env = adminEnv(stack);
  const response = await stack.inject({
    method: 'POST',
    url: '/v1/tokens',
    payload: { value: '4111111111111111', type: 'card_number', deterministic: true },
  });
  t.equal(response.statusCode, 201, response.body);
  const { token } = response.json();
  const inspected = await admin(env, 'inspect', stack.tenant, token, '--json');
  t.equal(inspected.code, 0, inspected.stderr);
  const output = JSON.parse(inspected.stdout);
  t.match(output, {
    token,
    type: 'card_number',
    deterministic: true,
    card: { last4: '1111', brand: 'visa' },
    status: 'active',
    storage: 'branch-key',
    integrity: 'verified',
  });
  t.equal(output.fingerprintVersion, output.keyVersion, 'the fingerprint is named by its version only');
  t.notMatch(inspected.stdout, '4111111111111111', 'never the value');
  t.notMatch(inspected.stdout, /[A-Za-z0-9_-]{43}/, 'never a fingerprint (43 base64url characters)');
});

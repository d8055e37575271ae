// The stand-ins the Lambda bundles use in place of packages (lib/lambda-bundling.ts's aliases) keep the
// meaning of what they replace where the functions use it.
import t, { type Test } from 'tap';

interface CredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

// Imported by path, as esbuild's alias does (the stub is plain JavaScript, without type declarations).
const stubPath = new URL('../lib/bundle-stubs/credentials-from-environment.mjs', import.meta.url).href;
const stub = (await import(stubPath)) as {
  defaultProvider: (init?: object) => () => Promise<CredentialIdentity>;
  credentialsTreatedAsExpired: (credentials?: CredentialIdentity) => boolean;
};

const variables = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
];

function withEnvironment(values: Record<string, string>, t: Test): void {
  const saved = Object.fromEntries(variables.map((name) => [name, process.env[name]]));
  for (const name of variables) delete process.env[name];
  Object.assign(process.env, values);
  t.teardown(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

t.test("credentials-from-environment: the role's credentials Lambda puts in the environment", async (t) => {
  withEnvironment(
    {
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLEKEY',
      AWS_SECRET_ACCESS_KEY: 'example-secret',
      AWS_SESSION_TOKEN: 'example-session-token',
    },
    t,
  );
  const credentials = await stub.defaultProvider()();
  t.match(credentials, {
    accessKeyId: 'ASIAEXAMPLEKEY',
    secretAccessKey: 'example-secret',
    sessionToken: 'example-session-token',
  });
  t.notOk(stub.credentialsTreatedAsExpired(credentials), 'without an expiration, never treated as expired');
});

t.test(
  'credentials-from-environment: no credentials in the environment fails, trying nothing else',
  async (t) => {
    withEnvironment({}, t);
    await t.rejects(stub.defaultProvider()(), /Unable to find environment variable credentials/);
  },
);

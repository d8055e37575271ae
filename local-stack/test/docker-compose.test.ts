import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import {
  loadConfig as loadOrderConfig,
  configVariables as orderVariables,
} from '@tokenization/order-service/config';
import {
  loadConfig as loadTokenizerConfig,
  configVariables as tokenizerVariables,
} from '@tokenization/tokenizer-service/config';
import t from 'tap';
import { parse } from 'yaml';
import { repositoryRoot } from '../src/stack/local-stack.js';

// Read by the AWS SDK's default credential chain, not by the services' own config.
const sdkVariables = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string>; build?: { dockerfile: string } }>;
}

const composeFile = `${repositoryRoot}docker-compose.yml`;
// `${VAR:-default}` as docker-compose substitutes it with VAR unset.
const substituted = (value: string) => String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');

t.test('every variable a service container gets is one its config accepts', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const services = [
    ['tokenizer', tokenizerVariables, loadTokenizerConfig],
    ['orders', orderVariables, loadOrderConfig],
  ] as const;
  for (const [name, variables, loadConfig] of services) {
    const environment = Object.fromEntries(
      Object.entries(compose.services[name]?.environment ?? {}).map(([key, value]) => [
        key,
        substituted(value),
      ]),
    );
    t.ok(compose.services[name]?.build, `${name} is built from its Dockerfile`);
    const unknown = Object.keys(environment).filter(
      (key) => !variables.includes(key) && !sdkVariables.includes(key),
    );
    t.same(unknown, [], `${name}: no variable its config does not read`);
    t.doesNotThrow(() => loadConfig(environment), `${name}: its config accepts the values`);
  }
});

t.test('the order service signs with the local credentials of its principal', async (t) => {
  const compose = parse(await readFile(composeFile, 'utf8'), { merge: true }) as ComposeFile;
  const credentials = JSON.parse(
    await readFile(`${repositoryRoot}local-stack/config/sigv4-credentials.json`, 'utf8'),
  ) as { accessKeyId: string; secretAccessKey: string; principalArn: string }[];
  const orders = credentials.find((credential) => credential.principalArn.endsWith(':role/order-service'));
  const environment = compose.services.orders?.environment ?? {};
  t.equal(substituted(environment.AWS_ACCESS_KEY_ID ?? ''), orders?.accessKeyId);
  t.equal(substituted(environment.AWS_SECRET_ACCESS_KEY ?? ''), orders?.secretAccessKey);
});

const composeInstalled = await promisify(execFile)('docker-compose', ['version']).then(
  () => true,
  () => false,
);

// .ci/run installs Debian's docker-compose; a developer machine may not have it.
t.test(
  'docker-compose validates the file',
  { skip: composeInstalled ? false : 'docker-compose is not installed' },
  async (t) => {
    await t.resolves(
      promisify(execFile)('docker-compose', ['-f', composeFile, 'config', '-q']),
      'config -q passes',
    );
  },
);

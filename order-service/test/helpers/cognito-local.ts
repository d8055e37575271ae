// Runs the real cognito-local (the local stack's user pool) as a child process for one test: its own
// port and its own working directory (it keeps its data in `./.cognito`), stopped in teardown.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Test } from 'tap';

export interface CognitoLocal {
  /** cognito-local's base URL, exactly as it names itself in its tokens' issuer. */
  endpoint: string;
  /** Calls an operation of the Cognito user pools API (JSON 1.1 protocol), as the AWS SDK would. */
  call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T>;
  /** The last confirmation code cognito-local printed for this user (it prints instead of emailing). */
  confirmationCode(username: string): Promise<string>;
}

const require = createRequire(import.meta.url);
const startScript = join(dirname(require.resolve('cognito-local/package.json')), 'lib/bin/start.js');

export async function startCognitoLocal(t: Test): Promise<CognitoLocal> {
  const port = await freePort();
  const workDir = await mkdtemp(join(tmpdir(), 'cognito-local-'));
  const child = spawn(process.execPath, [startScript], {
    cwd: workDir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  t.teardown(async () => {
    await stop(child);
    await rm(workDir, { recursive: true, force: true });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => (await fetch(`${endpoint}/health`)).ok,
    20_000,
    () => output,
  );

  return {
    endpoint,
    async call(operation, input) {
      const response = await fetch(`${endpoint}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
        },
        body: JSON.stringify(input),
      });
      const body = await response.text();
      if (!response.ok) throw new Error(`cognito-local ${operation} answered ${response.status}: ${body}`);
      return JSON.parse(body);
    },
    async confirmationCode(username) {
      let code: string | undefined;
      await waitUntil(
        async () => {
          // The code is printed in a box: "Username: <name>", "Destination: <email>", "Code: <digits>".
          const deliveries = output.split('Confirmation Code Delivery').slice(1);
          const delivery = deliveries.reverse().find((text) => text.includes(username));
          code = delivery?.match(/Code:\s+(\d+)/)?.[1];
          return code !== undefined;
        },
        5_000,
        () => output,
      );
      return code as string;
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`cognito-local did not get ready:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

// `npm run admin -- <args>`: the tokenizer's admin CLI (tokenizer-admin) against the running local stack,
// its environment from .local-stack/outputs.json. `npm run --silent admin -- tenants list --json` prints
// the JSON alone.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adminEntry, vaultEnvironment } from './admin-cli.js';
import { type LocalStackOutputs, outputsFile, repositoryRoot } from './local-stack.js';

const outputs = JSON.parse(
  await readFile(outputsFile, 'utf8').catch(() => '{}'),
) as Partial<LocalStackOutputs>;
if (!outputs.KeyStoreTableName || !outputs.TokenVaultTableName) {
  console.error(
    `No local stack with a key store in ${outputsFile}: start one with \`npm start\` (or \`npm start -- --persist\`) first.`,
  );
  process.exit(5);
}

// The terminal is the CLI's own: its progress bar, its exit status.
const child = spawn(
  process.execPath,
  ['--import', 'tsx', join(repositoryRoot, adminEntry), ...process.argv.slice(2)],
  {
    cwd: repositoryRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_NO_WARNINGS: '1',
      ...(process.env.ADMIN_ACTOR ? { ADMIN_ACTOR: process.env.ADMIN_ACTOR } : {}),
      ...vaultEnvironment(outputs as LocalStackOutputs),
    },
    stdio: 'inherit',
  },
);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

// The tokenizer's admin CLI (tokenizer-service/src/admin, bin `tokenizer-admin`) run against a local stack:
// its environment from the stack's outputs, and the onboarding of the local policy's tenants at start.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildService } from '@tokenization/local-aws/child-service';
import { defaultKeyStoreLogicalName } from '@tokenization/tokenizer-service/adapters/key-store-table';
import type { LocalStackOutputs } from './local-stack.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The CLI's entry, relative to the repository root (run under tsx, as the services are). */
export const adminEntry = 'tokenizer-service/src/admin/bin.ts';

/** The exit status of `tenants create` for a tenant that exists (exit-codes.ts: refused). */
const refused = 4;

/** Where the admin CLI finds a stack's tables and keys: a LocalStack's outputs, or the soak's own. */
export type AdminTarget = Pick<
  LocalStackOutputs,
  | 'Region'
  | 'TokenVaultTableName'
  | 'KmsKeyArn'
  | 'KeyStoreTableName'
  | 'BranchKeyKmsKeyArn'
  | 'DynamoDBEndpoint'
  | 'KmsEndpoint'
>;

/**
 * What the tokenizer and the admin CLI both read to reach a stack's tables and keys (the same names): its
 * DynamoDB Local, its KMS stand-in and dev-only credentials.
 */
export function vaultEnvironment(outputs: AdminTarget): Record<string, string> {
  return {
    AWS_REGION: outputs.Region,
    // Any key works with DynamoDB Local and the local KMS; these never reach AWS.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TOKEN_VAULT_TABLE_NAME: outputs.TokenVaultTableName,
    KMS_KEY_ARN: outputs.KmsKeyArn,
    KEY_STORE_TABLE_NAME: outputs.KeyStoreTableName,
    BRANCH_KEY_KMS_KEY_ARN: outputs.BranchKeyKmsKeyArn,
    KEY_STORE_LOGICAL_NAME: defaultKeyStoreLogicalName,
    DYNAMODB_ENDPOINT: outputs.DynamoDBEndpoint,
    KMS_ENDPOINT: outputs.KmsEndpoint,
  };
}

export interface AdminRun {
  exitCode: number | null;
  stdout: string[];
  stderr: string[];
}

/** Runs one admin command line (e.g. `['tenants', 'rotate', 'soak', '--json']`) and collects its output. */
export async function runAdmin(args: string[], env: Record<string, string>): Promise<AdminRun> {
  const child = startChildService({
    name: 'admin',
    command: process.execPath,
    args: ['--import', 'tsx', join(repositoryRoot, adminEntry), ...args],
    cwd: repositoryRoot,
    env,
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.process.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk.toString('utf8')));
  child.process.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString('utf8')));
  const exitCode = await child.exited;
  return { exitCode, stdout: lines(stdout), stderr: lines(stderr) };
}

function lines(chunks: string[]): string[] {
  return chunks
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

/** The tenants of an authorization policy file, each once, in order. */
export async function policyTenants(file: string): Promise<string[]> {
  const { principals } = JSON.parse(await readFile(file, 'utf8')) as { principals: { tenant: string }[] };
  return [...new Set(principals.map((principal) => principal.tenant))];
}

/**
 * Onboards each tenant through the admin CLI (`tenants create`: its branch key, then its record), the ones
 * `tenants list` does not show yet; a tenant kept from an earlier run (a data directory) stays as it is.
 * Before the tokenizer starts: it caches a tenant's absence for TENANT_STATE_CACHE_SECONDS.
 */
export async function onboardTenants(
  tenants: readonly string[],
  env: Record<string, string>,
): Promise<{ created: string[]; existing: string[] }> {
  const listed = await runAdmin(['tenants', 'list', '--json'], env);
  if (listed.exitCode !== 0) throw adminFailure('tenants list', listed);
  const known = new Set(
    (JSON.parse(listed.stdout.join('\n')) as { tenant: string }[]).map((record) => record.tenant),
  );
  const missing = tenants.filter((tenant) => !known.has(tenant));
  // One at a time: each is a process of its own, and the machine may be small.
  for (const tenant of missing) {
    const created = await runAdmin(['tenants', 'create', tenant, '--json'], env);
    // Refused: created meanwhile by someone else (another start on the same data directory).
    if (created.exitCode !== 0 && created.exitCode !== refused)
      throw adminFailure(`tenants create ${tenant}`, created);
  }
  return { created: missing, existing: tenants.filter((tenant) => known.has(tenant)) };
}

function adminFailure(command: string, run: AdminRun): Error {
  return new Error(
    `tokenizer-admin ${command} exited with ${run.exitCode}: ${run.stderr.slice(-3).join(' | ') || '(no message)'}`,
  );
}

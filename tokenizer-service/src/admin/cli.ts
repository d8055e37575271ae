// tokenizer-admin: the security team's CLI for tenants and their keys (docs/key-administration.md).
// Text for people, --json for scripts, and an exit status scripts can branch on (exit-codes.ts).
import type { Writable } from 'node:stream';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { TenantRecord } from '../domain/ports.js';
import { type AdminConfig, loadAdminConfig } from './admin-config.js';
import { type AdminServices, createAdminServices } from './admin-wiring.js';
import { type ExitCode, exitCodeOf, exitCodes } from './exit-codes.js';
import { createProgressReporter, formatDuration } from './progress.js';
import type { ReencryptionResult } from './reencryption.js';
import type { TenantDetails } from './tenant-admin.js';
import type { TokenInspection } from './token-inspector.js';

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: Writable;
  stderr: Writable;
  /** Replaces the wiring (tests). */
  services?: (config: AdminConfig, io: CliIo) => AdminServices;
}

const secondsPerDay = 86_400;

/** Runs one command line (without `node` and the script); resolves to the exit status. */
export async function runCli(args: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = exitCodes.ok;
  let services: AdminServices | undefined;
  const json = () => program.opts<{ json?: boolean }>().json === true;
  const write = (text: string) => io.stdout.write(`${text}\n`);
  const servicesFor = () => {
    const config = loadAdminConfig(io.env);
    services ??= (io.services ?? defaultServices)(config, io);
    return services;
  };
  /** Runs an action and prints its result as JSON or as text. */
  const act =
    <Args extends unknown[], Result>(
      action: (services: AdminServices, ...args: Args) => Promise<Result>,
      text: (result: Result) => string,
    ) =>
    async (...args: Args) => {
      const result = await action(servicesFor(), ...args);
      write(json() ? JSON.stringify(result, null, 2) : text(result));
    };

  const program = new Command('tokenizer-admin')
    .description('Tenant and key administration of the tokenizer (docs/key-administration.md).')
    .option('--json', 'print the result (or the error) as JSON on stdout')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  program.addHelpText(
    'after',
    '\nExit codes: 0 ok, 1 failure, 2 usage or configuration, 3 not found, 4 refused (tenant state or\nwaiting period), 5 a dependency (DynamoDB, KMS, STS) unavailable.',
  );

  const tenants = program.command('tenants').description('onboard, rotate and shred tenants');
  tenants
    .command('create <tenant>')
    .description('onboard a tenant: its branch key, then its record (refused if it exists)')
    .action(
      act(
        (s, tenant: string) => s.tenants.create(tenant),
        (r) => `tenant ${r.tenant} created (branch key ${r.branchKeyId})`,
      ),
    );
  tenants
    .command('list')
    .description('every tenant and its state')
    .action(
      act(
        (s) => s.tenants.list(),
        (records) => records.map(describeRecordLine).join('\n') || '(no tenants)',
      ),
    );
  tenants
    .command('show <tenant>')
    .description('a tenant record, its branch key versions and its latest audit items')
    .addOption(new Option('--audit <n>', 'audit items to show').default(20).argParser(positiveInteger))
    .action(
      act(
        (s, tenant: string, options: { audit: number }) => s.tenants.show(tenant, options.audit),
        describeDetails,
      ),
    );
  tenants
    .command('rotate <tenant>')
    .description('version the branch key: new values use the new version, old ones stay readable')
    .action(
      act(
        (s, tenant: string) => {
          io.stderr.write(
            `rotating ${tenant}: the new version is made TENANT_STATE_CACHE_SECONDS after the rotation record, once every tokenizer instance has read it\n`,
          );
          return s.tenants.rotate(tenant);
        },
        (r) =>
          `tenant ${r.tenant} rotated at ${r.rotatedAt?.toISOString()} (previous version ${r.previousKeyVersion}); re-encrypt it within the fingerprint window`,
      ),
    );
  tenants
    .command('schedule-shred <tenant>')
    .description('suspend the tenant now and allow its shred after the waiting period')
    .addOption(
      new Option('--waiting-days <n>', 'waiting period in days (default 7, at least 1)')
        .argParser(positiveInteger)
        .conflicts('waitingSeconds'),
    )
    .addOption(
      new Option('--waiting-seconds <n>', 'waiting period in seconds (tests and the local stack)').argParser(
        positiveInteger,
      ),
    )
    .action(
      act(
        (s, tenant: string, options: { waitingDays?: number; waitingSeconds?: number }) =>
          s.tenants.scheduleShred(
            tenant,
            options.waitingSeconds ?? (options.waitingDays ?? 7) * secondsPerDay,
          ),
        (r) =>
          `tenant ${r.tenant} suspended; its shred may run from ${r.shredAfter?.toISOString()} (cancel-shred restores it)`,
      ),
    );
  tenants
    .command('cancel-shred <tenant>')
    .description('cancel a scheduled shred: the tenant is active again')
    .action(
      act(
        (s, tenant: string) => s.tenants.cancelShred(tenant),
        (r) => `shred of ${r.tenant} cancelled; the tenant is active`,
      ),
    );
  tenants
    .command('shred <tenant>')
    .description("delete every version of the tenant's branch key (after the waiting period): irreversible")
    .action(
      act(
        (s, tenant: string) => s.tenants.shred(tenant),
        (r) => `tenant ${r.tenant} shredded at ${r.shreddedAt?.toISOString()}: its values are unrecoverable`,
      ),
    );

  program
    .command('reencrypt <tenant>')
    .description('re-encrypt every token of a tenant under its active branch key version, in place')
    .addOption(
      new Option('--rate <items>', 'items per second, across all segments')
        .default(50)
        .argParser(positiveNumber),
    )
    .addOption(
      new Option('--segments <n>', 'parallel scan segments (1-64)').default(4).argParser(positiveInteger),
    )
    .option('--checkpoint <file>', 'keep the scan position here and resume from it')
    .option('--dry-run', 'count what would change; write nothing')
    .action(
      async (
        tenant: string,
        options: { rate: number; segments: number; checkpoint?: string; dryRun?: boolean },
      ) => {
        const config = loadAdminConfig(io.env);
        const progress = createProgressReporter({ label: `reencrypt ${tenant}`, stream: io.stderr });
        services ??= io.services ? io.services(config, io) : createAdminServices(config, { progress });
        const started = performance.now();
        const result = await services.reencryption.run({
          tenant,
          rate: options.rate,
          segments: options.segments,
          ...(options.checkpoint ? { checkpointPath: options.checkpoint } : {}),
          ...(options.dryRun ? { dryRun: true } : {}),
        });
        write(
          json()
            ? JSON.stringify(result, null, 2)
            : describeReencryption(result, performance.now() - started),
        );
        if (result.counts.failed > 0) exitCode = exitCodes.failure;
      },
    );

  program
    .command('inspect <tenant> <token>')
    .description("a token's metadata (masked): never its value or its fingerprint")
    .action(
      act((s, tenant: string, token: string) => s.inspector.inspect(tenant, token), describeInspection),
    );

  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    exitCode = report(error, io, json());
  } finally {
    services?.close();
  }
  return exitCode;
}

function defaultServices(config: AdminConfig): AdminServices {
  return createAdminServices(config);
}

/** Prints the error (stderr; also stdout with --json) and picks the exit status. */
function report(error: unknown, io: CliIo, json: boolean): ExitCode {
  if (error instanceof CommanderError) {
    // --help and --version end here too, as successes; commander has already printed its message.
    if (error.exitCode === 0) return exitCodes.ok;
    if (json) io.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: error.message } })}\n`);
    return exitCodes.usage;
  }
  const configuration = error instanceof Error && error.message.startsWith('Invalid admin configuration');
  const exitCode = configuration ? exitCodes.usage : exitCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`tokenizer-admin: ${message}\n`);
  if (json) {
    const code = Object.entries(exitCodes).find(([, value]) => value === exitCode)?.[0] ?? 'failure';
    io.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`);
  }
  return exitCode;
}

function positiveInteger(text: string): number {
  const number = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(number) || number < 1) {
    throw new InvalidArgumentError('a positive integer is expected');
  }
  return number;
}

function positiveNumber(text: string): number {
  const number = Number(text);
  if (!(number > 0) || !Number.isFinite(number))
    throw new InvalidArgumentError('a positive number is expected');
  return number;
}

function describeRecordLine(record: TenantRecord): string {
  const parts = [
    record.tenant.padEnd(24),
    record.status.padEnd(16),
    `created ${record.createdAt.toISOString()}`,
  ];
  if (record.rotatedAt) parts.push(`rotated ${record.rotatedAt.toISOString()}`);
  if (record.status === 'shred_scheduled' && record.shredAfter)
    parts.push(`shred after ${record.shredAfter.toISOString()}`);
  if (record.shreddedAt) parts.push(`shredded ${record.shreddedAt.toISOString()}`);
  return parts.join('  ');
}

function describeDetails({ record, branchKey, audit }: TenantDetails): string {
  const lines = [
    `tenant:               ${record.tenant}`,
    `status:               ${record.status}`,
    `branch key:           ${record.branchKeyId} (${branchKey.versions} version(s), active ${branchKey.activeVersion ?? 'none'})`,
    `created:              ${record.createdAt.toISOString()}`,
  ];
  if (record.rotatedAt)
    lines.push(
      `rotated:              ${record.rotatedAt.toISOString()} (previous ${record.previousKeyVersion})`,
    );
  if (record.shredAfter) lines.push(`shred after:          ${record.shredAfter.toISOString()}`);
  if (record.shreddedAt) lines.push(`shredded:             ${record.shreddedAt.toISOString()}`);
  lines.push(
    `legacy format:        ${record.legacyRetired ? 'retired' : 'may remain'}`,
    `revision:             ${record.revision}`,
    'audit:',
  );
  for (const item of audit) {
    const details = Object.entries(item.details)
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
    lines.push(
      `  ${item.at.toISOString()}  ${item.action.padEnd(18)} ${item.actor}${details ? `  ${details}` : ''}`,
    );
  }
  return lines.join('\n');
}

function describeReencryption(result: ReencryptionResult, elapsedMs: number): string {
  const { counts } = result;
  return [
    `${result.dryRun ? 'dry run: ' : ''}tenant ${result.tenant} → version ${result.targetVersion}${result.resumed ? ' (resumed)' : ''} in ${formatDuration(elapsedMs)}`,
    `examined ${counts.examined} of ${result.total}, ${result.dryRun ? 'to re-encrypt' : 're-encrypted'} ${counts.reencrypted}, current ${counts.current}, vanished ${counts.vanished}, failed ${counts.failed}`,
    result.legacyRetired
      ? 'no item left in the legacy format: legacy lookups retired'
      : `legacy items remaining: ${counts.legacyRemaining}`,
  ].join('\n');
}

function describeInspection(inspection: TokenInspection): string {
  return Object.entries(inspection)
    .map(
      ([name, value]) =>
        `${`${name}:`.padEnd(20)} ${typeof value === 'object' ? JSON.stringify(value) : value}`,
    )
    .join('\n');
}

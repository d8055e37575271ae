// The soak's key operations, run under its load through the admin CLI (tokenizer-admin), as the security
// team would: one rotation of the load's tenant's branch key, then one re-encryption of the tenant. The
// soak's faults (KMS failing, the vault store restarted) may interrupt either: the rotation is tried again
// while a dependency is unavailable, the re-encryption resumes from its checkpoint file.
import { setTimeout as sleep } from 'node:timers/promises';
import { type AdminRun, runAdmin } from '../stack/admin-cli.js';

export interface KeyOperationsOptions {
  tenant: string;
  /** The admin CLI's environment (vaultEnvironment). */
  env: Record<string, string>;
  checkpointFile: string;
  log: (line: string) => void;
}

export interface KeyOperationsReport {
  /** What ran, for the summary. */
  lines: string[];
  /** By name, what did not end as it should (none when both ran to their end). */
  defects: Record<string, number>;
}

/** The exit status of a dependency (DynamoDB, KMS) unavailable (exit-codes.ts). */
const dependencyUnavailable = 5;
/** Exit 1: items failed (a fault mid-write) or an error of another kind. */
const failure = 1;
const attempts = 20;

interface ReencryptionOutcome {
  targetVersion: string;
  total: number;
  resumed: boolean;
  counts: { examined: number; reencrypted: number; current: number; vanished: number; failed: number };
}

export class KeyOperations {
  readonly #options: KeyOperationsOptions;
  readonly #started = Date.now();
  readonly #lines: string[] = [];
  readonly #defects: Record<string, number> = {};

  constructor(options: KeyOperationsOptions) {
    this.#options = options;
  }

  /** `tenants rotate <tenant>`, again while a dependency is down (exit 5: nothing was changed). */
  async rotate(): Promise<void> {
    const { tenant } = this.#options;
    const begun = this.#seconds();
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const run = await runAdmin(['tenants', 'rotate', tenant, '--json'], this.#options.env);
      if (run.exitCode === 0) {
        const record = parseJson<{ previousKeyVersion?: string }>(run);
        const line = `rotate ${tenant} at ${begun} s: previous version ${record?.previousKeyVersion ?? '?'} (${plural(attempt, 'attempt')})`;
        this.#record(line);
        return;
      }
      if (run.exitCode !== dependencyUnavailable) return this.#failed('rotate', run);
      this.#options.log(`rotate ${tenant}: a dependency is unavailable, trying again`);
      await sleep(1_000);
    }
    this.#defects['key operations: rotation never ran'] = 1;
  }

  /**
   * `reencrypt <tenant> --checkpoint <file>`: when a fault stops it (DynamoDB Local restarted, KMS failing),
   * it is started again and resumes from the checkpoint, until it has passed over every item.
   */
  async reencrypt(): Promise<void> {
    const { tenant, checkpointFile } = this.#options;
    const begun = this.#seconds();
    const args = ['reencrypt', tenant, '--rate', '1000', '--checkpoint', checkpointFile, '--json'];
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const run = await runAdmin(args, this.#options.env);
      const result = parseJson<ReencryptionOutcome>(run);
      if (run.exitCode === 0 && result?.counts) {
        const { counts } = result;
        this.#record(
          `reencrypt ${tenant} from ${begun} s to ${this.#seconds()} s (${plural(attempt, 'run')}${result.resumed ? ', resumed from its checkpoint' : ''}): ` +
            `${counts.examined} of ${result.total} items examined, ${counts.reencrypted} re-encrypted to version ${result.targetVersion}, ` +
            `${counts.current} already current, ${counts.vanished} deleted meanwhile, ${counts.failed} failed`,
        );
        return;
      }
      const interrupted = run.exitCode === dependencyUnavailable || run.exitCode === failure;
      if (!interrupted || attempt === attempts) return this.#failed('reencrypt', run);
      // A fault interrupted the pass (exit 5, or 1 with items that failed): the checkpoint says where it was.
      this.#options.log(
        `reencrypt ${tenant}: interrupted (exit ${run.exitCode}), resuming from its checkpoint`,
      );
      await sleep(1_000);
    }
  }

  report(): KeyOperationsReport {
    return {
      lines: this.#lines.length ? [...this.#lines] : ['none ran'],
      defects: { ...this.#defects },
    };
  }

  #record(line: string): void {
    this.#lines.push(line);
    this.#options.log(`key operation: ${line}`);
  }

  #failed(command: string, run: AdminRun): void {
    // The CLI's own messages name no value (docs/key-administration.md); the last line says why.
    const reason = run.stderr.at(-1) ?? '(no message)';
    this.#record(`${command} failed with exit ${run.exitCode}: ${reason}`);
    this.#defects[`key operations: ${command} failed`] = 1;
  }

  #seconds(): number {
    return Math.round((Date.now() - this.#started) / 1000);
  }
}

function parseJson<T>(run: AdminRun): T | undefined {
  try {
    return JSON.parse(run.stdout.join('\n')) as T;
  } catch {
    return undefined;
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

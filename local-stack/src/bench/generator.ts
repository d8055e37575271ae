// The bench's side of the load generator's process (load-worker.ts): one process for the whole bench, one
// closed loop at a time, with a handshake at the start and the end of each measurement so that the bench
// reads every process's CPU time and the KMS counters at the same moments.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TokenizerScenario } from './load-generator.js';
import type { HttpClientName } from './options.js';
import type { ClosedLoopResult, Phase } from './runner.js';

export type LoadSpec =
  | {
      kind: 'tokenizer';
      scenario: TokenizerScenario;
      baseUrl: string;
      region: string;
      /** The requests go to each caller in turn (round robin), each caller of its own tenant. */
      callers: TokenizerCaller[];
    }
  | { kind: 'orders'; scenario: 'order' | 'paybill'; baseUrl: string; idToken: string };

/** A principal of the local policy and the tokens of its tenant that the detokenize scenarios read. */
export interface TokenizerCaller {
  credentials: { accessKeyId: string; secretAccessKey: string };
  pool: string[];
}

export type GeneratorRequest =
  | {
      type: 'run';
      spec: LoadSpec;
      concurrency: number;
      warmupMs: number;
      durationMs: number;
    }
  | { type: 'prepare-orders'; baseUrl: string; idToken: string; count: number }
  | { type: 'ack' };

export type GeneratorMessage =
  | { type: 'measure-start' }
  | { type: 'drained' }
  | { type: 'tick'; phase: Phase; ended: number }
  | { type: 'result'; result: ClosedLoopResult; shortages: number }
  | { type: 'prepared' }
  | { type: 'error'; message: string };

export interface RunHooks {
  onMeasureStart(): Promise<void> | void;
  onDrained(): Promise<void> | void;
  onTick(tick: { phase: Phase; ended: number }): void;
}

const workerFile = fileURLToPath(new URL('./load-worker.ts', import.meta.url));

export class LoadGenerator {
  readonly #child: ChildProcess;
  #pending: ((message: GeneratorMessage) => void) | undefined;
  #exited: Promise<number | null>;

  constructor(httpClient: HttpClientName, cwd: string) {
    this.#child = fork(workerFile, [], {
      cwd,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, BENCH_HTTP_CLIENT: httpClient },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#child.on('message', (message: GeneratorMessage) => this.#pending?.(message));
    this.#exited = new Promise((resolve) => this.#child.once('exit', resolve));
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** One closed loop in the generator's process; `hooks` run while it waits at the window's edges. */
  run(request: Omit<Extract<GeneratorRequest, { type: 'run' }>, 'type'>, hooks: RunHooks) {
    return this.#exchange<{ result: ClosedLoopResult; shortages: number }>(
      { type: 'run', ...request },
      async (message, done) => {
        if (message.type === 'tick') hooks.onTick(message);
        if (message.type === 'measure-start') {
          await hooks.onMeasureStart();
          this.#child.send({ type: 'ack' } satisfies GeneratorRequest);
        }
        if (message.type === 'drained') {
          await hooks.onDrained();
          this.#child.send({ type: 'ack' } satisfies GeneratorRequest);
        }
        if (message.type === 'result') done({ result: message.result, shortages: message.shortages });
      },
    );
  }

  /** Creates orders in the generator until `count` are unpaid (what the paybill scenario pays). */
  prepareOrders(baseUrl: string, idToken: string, count: number): Promise<void> {
    return this.#exchange<void>({ type: 'prepare-orders', baseUrl, idToken, count }, (message, done) => {
      if (message.type === 'prepared') done(undefined);
    });
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    this.#child.disconnect();
    await Promise.race([this.#exited, new Promise((resolve) => setTimeout(resolve, 2000))]);
    if (this.#child.exitCode === null) this.#child.kill();
  }

  #exchange<T>(
    request: GeneratorRequest,
    onMessage: (message: GeneratorMessage, done: (value: T) => void) => Promise<void> | void,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const exited = () => reject(new Error('the load generator exited'));
      this.#child.once('exit', exited);
      const finish = (settle: () => void) => {
        this.#pending = undefined;
        this.#child.off('exit', exited);
        settle();
      };
      this.#pending = (message) => {
        if (message.type === 'error') return finish(() => reject(new Error(message.message)));
        Promise.resolve(onMessage(message, (value) => finish(() => resolve(value)))).catch((error: unknown) =>
          finish(() => reject(error)),
        );
      };
      this.#child.send(request);
    });
  }
}

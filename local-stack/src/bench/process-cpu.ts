import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, almost always 100). */
function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU time (user + system) a process has used so far, in microseconds, from `/proc/<pid>/stat` (Linux
 * only; undefined elsewhere or when the process is gone). Resolution: one clock tick (10 ms).
 */
export function processCpuMicros(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1_000_000) / clockTicksPerSecond() : undefined;
}

/** A process id, or `self` for this process (the load generator, and the local KMS if the bench started it). */
export type ProcessRef = number | 'self' | undefined;

/** CPU use of a few named processes across a measurement. */
export class CpuMeter {
  readonly #pids: Record<string, ProcessRef>;
  #start: Record<string, number | undefined> = {};
  #startedAt = 0;

  constructor(pids: Record<string, ProcessRef>) {
    this.#pids = pids;
  }

  start(): void {
    this.#startedAt = performance.now();
    this.#start = this.#read();
  }

  /** Microseconds of CPU each process used since `start`, and the wall-clock milliseconds elapsed. */
  stop(): { elapsedMs: number; cpuMicros: Record<string, number> } {
    const end = this.#read();
    const cpuMicros: Record<string, number> = {};
    for (const [name, before] of Object.entries(this.#start)) {
      const after = end[name];
      if (before !== undefined && after !== undefined) cpuMicros[name] = after - before;
    }
    return { elapsedMs: performance.now() - this.#startedAt, cpuMicros };
  }

  #read(): Record<string, number | undefined> {
    return Object.fromEntries(
      Object.entries(this.#pids).map(([name, pid]) => [
        name,
        pid === 'self' ? selfCpuMicros() : pid === undefined ? undefined : processCpuMicros(pid),
      ]),
    );
  }
}

function selfCpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

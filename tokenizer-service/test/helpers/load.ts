// Helpers for the load tests around the shared load-and-verify core (load-verify.ts beside this file).
import { setTimeout as sleep } from 'node:timers/promises';
import type { LoadAndVerify } from './load-verify.js';

/**
 * Waits until the load has `count` random tokens acknowledged (at most `limitMs`), so that a fault is
 * injected once there is something to lose, however busy the machine is.
 */
export async function untilAcknowledged(load: LoadAndVerify, count: number, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (load.report().acknowledged.random < count && Date.now() < deadline) await sleep(100);
}

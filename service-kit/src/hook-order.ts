// Hooks of one phase run in the order they were added, so some hook sets must be registered after others
// (the tokenizer's audit trail before its access control). Each set names what must come before it, as
// fastify-plugin's `name`/`dependencies` would, and registering out of order fails when the app is built.
import type { FastifyInstance } from 'fastify';

export interface HookSet {
  name: string;
  /** Names of the sets whose hooks must run before this one's. */
  dependencies?: readonly string[];
  register: (app: FastifyInstance) => void;
}

/** Registers `sets` in the order given; throws when a set comes before one it depends on. */
export function registerHookSets(app: FastifyInstance, sets: readonly HookSet[]): void {
  const registered = new Set<string>();
  for (const set of sets) {
    const missing = (set.dependencies ?? []).filter((name) => !registered.has(name));
    if (missing.length > 0) {
      throw new Error(`hooks "${set.name}" must be registered after [${missing.join(', ')}]`);
    }
    set.register(app);
    registered.add(set.name);
  }
}

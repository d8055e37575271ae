// The tokenizer's test stack (real adapters, DynamoDB Local, in-process local KMS, SigV4), plus a second
// app on a stack's table and KMS whose store finds every new token taken: the only way to reach the
// `token space exhausted` answer without filling a million-token space.
import { Writable } from 'node:stream';
import { recordResponsesOf } from '@tokenization/local-aws/test-support/response-capture';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { buildApp } from '../../src/app.js';
import { sigV4Authenticator } from '../../src/auth/sigv4-authenticator.js';
import { TokenCollisionError, type VaultStore } from '../../src/domain/ports.js';
import { createAuditLogger, createLogger } from '../../src/logging.js';
import { createDependencies } from '../../src/wiring.js';
import { credentialsOf, injectSigned, type TestStack, testCaller, testRegion } from './test-stack.js';

export * from './test-stack.js';

const discard = new Writable({
  write(_chunk, _encoding, callback) {
    callback();
  },
});

export interface CollidingApp {
  /** Sends a request signed as the test caller. */
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>;
}

/** The tokenizer app on `stack`'s table and KMS, as the test caller sees it, with every write colliding. */
export async function collidingApp(t: Test, stack: TestStack): Promise<CollidingApp> {
  const deps = createDependencies(stack.config, createLogger('silent', discard), {
    authenticate: sigV4Authenticator({
      credentials: credentialsOf([testCaller]),
      region: testRegion,
      clock: () => new Date(),
    }),
    auditLogger: createAuditLogger(discard),
  });
  const store = new Proxy(deps.store, {
    get(target, property) {
      if (property === 'create') {
        return async () => {
          throw new TokenCollisionError();
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) satisfies VaultStore;
  const app = buildApp({ ...deps, store });
  recordResponsesOf(app, 'tokenizer app (colliding store)');
  t.teardown(() => app.close());
  await app.ready();
  return { inject: (options) => injectSigned(app, testCaller, options) };
}

// An AWS outage (no answer, a timeout, throttling, a server fault) is a 503 to retry; a client fault is a
// bug and stays what it is. Both services classify through this one module.
import { isAwsUnavailable, rethrowAwsUnavailable } from '@tokenization/service-kit/aws-errors';
import { DependencyUnavailableError } from '@tokenization/service-kit/errors';
import t from 'tap';

const sdkError = (name: string, httpStatusCode: number, fault: 'client' | 'server') =>
  Object.assign(new Error(name), { name, $fault: fault, $metadata: { httpStatusCode } });
const networkError = (code: string) => Object.assign(new Error(code), { code });

t.test('outages are unavailable, client faults are not', async (t) => {
  t.ok(isAwsUnavailable(networkError('ECONNREFUSED')), 'no answer');
  t.ok(isAwsUnavailable(Object.assign(new Error('t'), { name: 'TimeoutError' })), 'a timeout');
  t.ok(isAwsUnavailable(sdkError('ThrottlingException', 400, 'client')), 'throttling');
  t.ok(isAwsUnavailable(sdkError('InternalServerError', 500, 'server')), 'a server fault');
  t.notOk(isAwsUnavailable(sdkError('ValidationException', 400, 'client')), 'a bad request');
  t.notOk(isAwsUnavailable(sdkError('ResourceNotFoundException', 400, 'client')), 'a missing table');
  t.notOk(isAwsUnavailable('not an error'), 'not an error');
});

t.test(
  'an outage is rethrown as DependencyUnavailableError naming the dependency, with its cause',
  async (t) => {
    const outage = networkError('ECONNRESET');
    const thrown = t.throws(() => rethrowAwsUnavailable('store', outage)) as unknown;
    t.ok(thrown instanceof DependencyUnavailableError);
    t.match(thrown, { name: 'DependencyUnavailableError', dependency: 'store', cause: outage });
    const bug = sdkError('ValidationException', 400, 'client');
    t.equal(
      t.throws(() => rethrowAwsUnavailable('store', bug)),
      bug,
      'a client fault as it is',
    );
  },
);

// Hook order is code: a set registered before one it depends on fails the build of the app.
import { registerHookSets } from '@tokenization/service-kit/hook-order';
import type { FastifyInstance } from 'fastify';
import t from 'tap';

const app = {} as FastifyInstance;

function sets(order: string[], registered: string[]) {
  const all = {
    first: { name: 'first', register: () => registered.push('first') },
    second: { name: 'second', dependencies: ['first'], register: () => registered.push('second') },
  };
  return order.map((name) => all[name as keyof typeof all]);
}

t.test('sets register in the order given when each follows what it depends on', async (t) => {
  const registered: string[] = [];
  registerHookSets(app, sets(['first', 'second'], registered));
  t.same(registered, ['first', 'second']);
});

t.test('a set before one it depends on throws, naming both, and registers nothing further', async (t) => {
  const registered: string[] = [];
  t.throws(() => registerHookSets(app, sets(['second', 'first'], registered)), {
    message: 'hooks "second" must be registered after [first]',
  });
  t.same(registered, []);
});

// The rules of the per-principal limit on deterministic tokenizations, on an in-memory fake of the window
// store and a fixed clock. The shared DynamoDB store is deterministic-tokens.test.ts.
import t from 'tap';
import { DeterministicTokenizationLimit } from '../../src/domain/deterministic-rate-limit.js';
import { FakeRateWindowCounter } from '../helpers/fake-rate-window-counter.js';

const alice = { tenant: 'orders', principal: 'arn:aws:iam::000000000000:role/alice' };
const bob = { tenant: 'orders', principal: 'arn:aws:iam::000000000000:role/bob' };

function limitAt(time: string, perMinute = 3) {
  let now = new Date(time);
  const counter = new FakeRateWindowCounter();
  const limit = new DeterministicTokenizationLimit({ counter, perMinute, clock: () => now });
  return { limit, counter, moveTo: (next: string) => (now = new Date(next)) };
}

t.test('N per minute pass; the next is refused until the minute ends', async (t) => {
  const { limit } = limitAt('2026-03-01T12:00:20.000Z');
  for (let n = 1; n <= 3; n++) t.same(await limit.spend(alice, 1), { allowed: true }, `tokenization ${n}`);
  t.same(await limit.spend(alice, 1), { allowed: false, retryAfterSeconds: 40, exceedsWindow: false });
});

t.test('Retry-After is rounded up and never 0', async (t) => {
  const { limit, moveTo } = limitAt('2026-03-01T12:00:00.000Z', 1);
  await limit.spend(alice, 1);
  moveTo('2026-03-01T12:00:58.200Z');
  t.match(await limit.spend(alice, 1), { allowed: false, retryAfterSeconds: 2 });
  moveTo('2026-03-01T12:00:59.999Z');
  t.match(await limit.spend(alice, 1), { allowed: false, retryAfterSeconds: 1 });
});

t.test('each principal has its own allowance', async (t) => {
  const { limit } = limitAt('2026-03-01T12:00:20.000Z');
  t.same(await limit.spend(alice, 3), { allowed: true });
  t.match(await limit.spend(alice, 1), { allowed: false });
  t.same(await limit.spend(bob, 3), { allowed: true }, 'bob is not slowed down by alice');
});

t.test('a batch that would cross the limit is refused whole and spends nothing', async (t) => {
  const { limit } = limitAt('2026-03-01T12:00:20.000Z');
  t.same(await limit.spend(alice, 2), { allowed: true });
  t.match(await limit.spend(alice, 2), { allowed: false, exceedsWindow: false }, '2 + 2 > 3');
  t.same(await limit.spend(alice, 1), { allowed: true }, 'the refused batch spent none of the last one');
  t.match(await limit.spend(alice, 1), { allowed: false });
});

t.test('a request larger than a whole minute is refused without spending, and says so', async (t) => {
  const { limit, counter } = limitAt('2026-03-01T12:00:20.000Z');
  t.same(await limit.spend(alice, 4), { allowed: false, retryAfterSeconds: 40, exceedsWindow: true });
  t.equal(counter.counts.size, 0, 'nothing counted');
  t.same(await limit.spend(alice, 3), { allowed: true });
});

t.test('the next minute brings a new allowance', async (t) => {
  const { limit, moveTo } = limitAt('2026-03-01T12:00:59.000Z');
  t.same(await limit.spend(alice, 3), { allowed: true });
  t.match(await limit.spend(alice, 1), { allowed: false });
  moveTo('2026-03-01T12:01:00.000Z');
  t.same(await limit.spend(alice, 3), { allowed: true });
});

t.test('a request without deterministic items spends nothing and asks nobody', async (t) => {
  const { limit, counter } = limitAt('2026-03-01T12:00:20.000Z');
  t.same(await limit.spend(alice, 0), { allowed: true });
  t.equal(counter.counts.size, 0);
});

t.test('the limit must be a positive integer', async (t) => {
  const counter = new FakeRateWindowCounter();
  for (const perMinute of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => new DeterministicTokenizationLimit({ counter, perMinute, clock: () => new Date() }));
  }
});

// The admin job's small parts: the rate limiter's pacing, the plain progress lines and their ETA, and the
// checkpoint file (atomic, refused when foreign). Clocks here are fakes: nothing waits for real time.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import t from 'tap';
import { CheckpointWriter, readCheckpoint } from '../../src/admin/checkpoint.js';
import { AdminUsageError } from '../../src/admin/exit-codes.js';
import { createProgressReporter, formatDuration } from '../../src/admin/progress.js';
import { RateLimiter } from '../../src/admin/rate-limiter.js';

/** A fake monotonic clock that waiting moves forward. */
function fakeTime() {
  const clock = { now: 0, waits: [] as number[] };
  return {
    clock,
    now: () => clock.now,
    wait: async (ms: number) => {
      clock.waits.push(ms);
      clock.now += ms;
    },
  };
}

t.test('the rate limiter spaces permits 1/rate apart and never bursts after idle time', async (t) => {
  const time = fakeTime();
  const limiter = new RateLimiter({ perSecond: 10, now: time.now, wait: time.wait });
  for (let i = 0; i < 5; i++) await limiter.take();
  t.same(time.clock.waits, [100, 100, 100, 100], 'the first permit is immediate, then one per 100 ms');
  time.clock.now += 10_000; // idle for ten seconds
  time.clock.waits.length = 0;
  for (let i = 0; i < 3; i++) await limiter.take();
  t.same(time.clock.waits, [100, 100], 'idle time is not saved up as a burst');
});

t.test('concurrent takers share the rate (segments run in parallel)', async (t) => {
  const time = fakeTime();
  const limiter = new RateLimiter({
    perSecond: 4,
    now: time.now,
    wait: async (ms) => void time.clock.waits.push(ms),
  });
  await Promise.all([limiter.take(), limiter.take(), limiter.take()]);
  t.same(time.clock.waits, [250, 500], 'the second and third wait their own slots');
});

t.test('the rate must be positive', async (t) => {
  t.throws(() => new RateLimiter({ perSecond: 0 }), RangeError);
  t.throws(() => new RateLimiter({ perSecond: Number.NaN }), RangeError);
});

t.test(
  'plain progress lines (not a terminal): total, percentage, counts and an ETA from this run',
  async (t) => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        callback();
      },
    });
    const time = fakeTime();
    const progress = createProgressReporter({
      label: 'reencrypt acme',
      stream,
      lineIntervalMs: 1000,
      now: time.now,
    });
    progress.start(100, 20); // resumed: 20 done before
    time.clock.now = 500;
    progress.update(30, { reencrypted: 10 });
    t.equal(lines.length, 1, 'no second line within the interval');
    time.clock.now = 2000;
    progress.update(40, { reencrypted: 20 });
    progress.stop();
    t.equal(lines[0], 'reencrypt acme: 100 items to examine, 20 done before');
    // 20 items in 2 s this run: 60 left take 6 s.
    t.equal(lines[1], 'reencrypt acme: 40/100 (40%) eta 6s, reencrypted 20');
    t.equal(lines.length, 3, 'stop writes the last state');
  },
);

t.test('durations', async (t) => {
  t.equal(formatDuration(12_000), '12s');
  t.equal(formatDuration(185_000), '3m05s');
  t.equal(formatDuration(3_720_000), '1h02m');
});

t.test('checkpoints: written whole, read back, removed; foreign files refused', async (t) => {
  const directory = await mkdtemp(join(tmpdir(), 'reencryption-checkpoint-'));
  t.teardown(() => rm(directory, { recursive: true, force: true }));
  const path = join(directory, 'acme.json');
  t.equal(await readCheckpoint(path), undefined, 'no file: no checkpoint');
  const writer = new CheckpointWriter<{ examined: number }>(path);
  const checkpoint = {
    format: 'tokenizer-reencryption/1' as const,
    tenant: 'acme',
    targetVersion: 'v2',
    segments: [{ done: true }, { after: { pk: { S: 'token#acme#x' } }, done: false }],
    total: 10,
    counts: { examined: 3 },
  };
  // Saves race: the file holds the last one asked for.
  await Promise.all([writer.save({ ...checkpoint, counts: { examined: 1 } }), writer.save(checkpoint)]);
  t.same(await readCheckpoint(path), checkpoint);
  await writer.remove();
  t.equal(await readCheckpoint(path), undefined, 'removed when the pass is complete');

  await writeFile(path, '{"format":"something-else","segments":[]}');
  await t.rejects(readCheckpoint(path), AdminUsageError);
  await writeFile(path, 'not json');
  await t.rejects(readCheckpoint(path), AdminUsageError);
  t.match(await readFile(path, 'utf8'), 'not json', 'a refused file is left alone');
});

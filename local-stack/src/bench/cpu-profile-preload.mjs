// Preloaded into a service by `npm run bench -- --cpu-prof <dir>` (NODE_OPTIONS=--import …): Node 20 does
// not accept --cpu-prof in NODE_OPTIONS, so the V8 profiler is started through the inspector here and its
// profile written, as --cpu-prof would, when the process exits. Plain JavaScript: it loads before tsx.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const directory = process.env.BENCH_CPU_PROFILE_DIR;
if (directory) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  // The session of this thread answers synchronously: the profile is written before the process ends.
  process.on('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      mkdirSync(directory, { recursive: true });
      writeFileSync(join(directory, `CPU.${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

// `npm start`: the whole stack on 127.0.0.1 without Docker or an AWS account. Ctrl-C stops every part.
import { type LocalStack, outputsFile, startLocalStack } from './local-stack.js';
import { localStackSettings } from './settings.js';

const settings = localStackSettings(process.argv.slice(2), process.env);
const verbose = process.env.LOCAL_STACK_VERBOSE === '1';
const relay = (name: string, line: string) => {
  if (verbose || !line.startsWith('{')) console.log(`[${name}] ${line}`);
};

console.log(
  `Starting the local stack (data ${settings.dataDirectory ? `in ${settings.dataDirectory}` : 'in memory'})…`,
);
let stack: LocalStack | undefined;
let stopping = false;
const shutdown = async (signal: string, exitCode = 0) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local stack…`);
  await stack?.stop();
  console.log('stopped');
  process.exit(exitCode);
};
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));

try {
  stack = await startLocalStack(settings, relay);
} catch (error) {
  console.error(`The local stack did not start: ${(error as Error).message}`);
  process.exit(1);
}
void stack.exited.then((name) => {
  console.error(`The ${name} process exited: stopping the local stack.`);
  void shutdown('exit', 1);
});
const width = Math.max(...Object.keys(stack.outputs).map((key) => key.length));
for (const [key, value] of Object.entries(stack.outputs)) console.log(`  ${key.padEnd(width)}  ${value}`);
const { created, existing } = stack.tenants;
console.log(
  `Tenants of the local policy: ${created.length ? `onboarded ${created.join(', ')}` : ''}` +
    `${created.length && existing.length ? '; ' : ''}${existing.length ? `kept ${existing.join(', ')}` : ''}`,
);
console.log(`Outputs written to ${outputsFile}`);
console.log('Tenant and key administration: npm run admin -- --help');
console.log("Local stack ready. Ctrl-C stops it. (LOCAL_STACK_VERBOSE=1 shows the services' JSON logs.)");

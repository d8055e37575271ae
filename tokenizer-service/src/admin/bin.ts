#!/usr/bin/env -S node --import tsx
// The tokenizer-admin command (package.json "bin"); `npm run admin -- <args>` runs it on the local stack.
import { runCli } from './cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});

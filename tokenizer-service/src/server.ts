// Local entry: serves the tokenizer over HTTP (127.0.0.1:3001 by default).
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { createDependencies } from './wiring.js';

const config = loadConfig(process.env);
const app = buildApp(createDependencies(config, createLogger(config.LOG_LEVEL)));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}

await app.listen({ host: config.TOKENIZER_HOST, port: config.TOKENIZER_PORT });

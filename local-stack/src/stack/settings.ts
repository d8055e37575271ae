import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface LocalStackSettings {
  host: string;
  region: string;
  ports: {
    dynamoDb: number;
    kms: number;
    cognito: number;
    tokenizer: number;
    orders: number;
    /** The payment processor stand-in; a free port when absent. */
    paymentProcessor?: number;
  };
  /** Keep data on disk in this folder between runs; in memory when absent. */
  dataDirectory?: string;
  /** The vault, the order table and the branch key store (docs/encryption-and-keys.md). */
  tables: { vault: string; orders: string; keyStore: string };
  /** Write `.local-stack/outputs.json` (default true); false for a stack beside `npm start`'s (the benchmark's). */
  writeOutputs?: boolean;
  /** Variables added to the tokenizer's environment (the benchmark's own stack lifts a limit). */
  tokenizerEnvironment?: Record<string, string>;
}

const portVariables = {
  dynamoDb: ['DYNAMODB_PORT', 8000],
  kms: ['KMS_PORT', 4599],
  cognito: ['COGNITO_PORT', 9229],
  tokenizer: ['TOKENIZER_PORT', 3001],
  orders: ['ORDER_PORT', 3000],
  paymentProcessor: ['PAYMENT_PROCESSOR_PORT', 4600],
} as const;

/** Ports come from the environment (validated), `--persist [dir]` keeps data between runs. */
export function localStackSettings(
  argv: string[],
  env: Record<string, string | undefined>,
): LocalStackSettings {
  const { values } = parseArgs({
    args: argv,
    options: { persist: { type: 'boolean', default: false }, 'data-dir': { type: 'string' } },
    strict: true,
  });
  const ports = Object.fromEntries(
    Object.entries(portVariables).map(([key, [variable, fallback]]) => {
      const raw = env[variable];
      const port = raw === undefined ? fallback : Number(raw);
      if (!Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new Error(`${variable} must be a port number (1-65535), got "${raw}"`);
      }
      return [key, port];
    }),
  ) as LocalStackSettings['ports'];
  // npm runs workspace scripts in the workspace's folder; paths are the caller's (INIT_CWD), the default the repository's.
  const dataDirectory = values['data-dir']
    ? resolve(env.INIT_CWD ?? process.cwd(), values['data-dir'])
    : values.persist
      ? fileURLToPath(new URL('../../../.local-stack/data', import.meta.url))
      : undefined;
  return {
    host: '127.0.0.1',
    region: env.AWS_REGION ?? 'us-east-1',
    ports,
    ...(dataDirectory ? { dataDirectory } : {}),
    tables: { vault: 'TokenVault', orders: 'CustomerOrders', keyStore: 'BranchKeyStore' },
  };
}

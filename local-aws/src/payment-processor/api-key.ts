// The payment processor stand-in's API key: a dev-only secret in a file of local-aws/config, which the
// stand-in checks and the tokenizer's `payments` connection sends (a secret by reference, never in the
// connection itself).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const paymentProcessorApiKeyFile = fileURLToPath(
  new URL('../../config/payment-processor-api-key', import.meta.url),
);

/** The key in `file` (the dev-only one by default), without its trailing newline. */
export async function readPaymentProcessorApiKey(file = paymentProcessorApiKeyFile): Promise<string> {
  const key = (await readFile(file, 'utf8')).trim();
  if (!/^[\x21-\x7e]{16,256}$/.test(key)) {
    throw new Error(`${file} must hold one API key of 16 to 256 visible ASCII characters`);
  }
  return key;
}

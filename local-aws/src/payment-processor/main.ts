// Dev-only CLI: runs the payment processor stand-in until SIGINT/SIGTERM, one JSON log line per charge
// request (brand and last four only). Env: PAYMENT_PROCESSOR_PORT (default 4600), PAYMENT_PROCESSOR_HOST
// (default 127.0.0.1), PAYMENT_PROCESSOR_API_KEY_FILE (default local-aws/config/payment-processor-api-key).
import { paymentProcessorApiKeyFile, readPaymentProcessorApiKey } from './api-key.js';
import { startPaymentProcessor } from './payment-processor.js';

const portText = process.env.PAYMENT_PROCESSOR_PORT || '4600';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) {
  console.error(`PAYMENT_PROCESSOR_PORT must be a port number from 0 to 65535, got '${portText}'`);
  process.exit(1);
}

const processor = await startPaymentProcessor({
  apiKey: await readPaymentProcessorApiKey(
    process.env.PAYMENT_PROCESSOR_API_KEY_FILE || paymentProcessorApiKeyFile,
  ),
  port,
  host: process.env.PAYMENT_PROCESSOR_HOST || '127.0.0.1',
  log: (entry) => process.stdout.write(`${JSON.stringify({ time: Date.now(), ...entry })}\n`),
});
process.stdout.write(`${JSON.stringify({ paymentProcessor: 'ready', url: processor.url })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void processor.close().then(() => process.exit(0));
  });
}

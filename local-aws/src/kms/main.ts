// Dev-only CLI: runs the local KMS test double until SIGINT/SIGTERM.
// Env: LOCAL_KMS_PORT (default 4599), LOCAL_KMS_HOST (default 127.0.0.1), AWS_REGION, LOCAL_KMS_KEY_FILE.
import { startLocalKms } from './local-kms.js';

const portText = process.env.LOCAL_KMS_PORT || '4599';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) {
  console.error(`LOCAL_KMS_PORT must be a port number from 0 to 65535, got '${portText}'`);
  process.exit(1);
}

const kms = await startLocalKms({
  port,
  host: process.env.LOCAL_KMS_HOST || undefined,
  region: process.env.AWS_REGION || undefined,
  keyMaterialFile: process.env.LOCAL_KMS_KEY_FILE || undefined,
});
process.stdout.write(`${JSON.stringify({ kms: 'ready', endpoint: kms.endpoint, keyArn: kms.keyArn })}\n`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void kms.close().then(() => process.exit(0));
  });
}

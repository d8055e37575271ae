// Without `credentials`, the client signs with the AWS default credential chain: here its first link,
// the environment variables. (A file of its own: it changes process.env.)

import { TokenizerClient, TokenizerUnauthorizedError } from '@tokenization/tokenizer-client';
import t from 'tap';
import { startLiveTokenizer } from '../helpers/live-tokenizer.js';
import { testCaller, testRegion } from '../helpers/test-stack.js';

function useEnvironmentKeys(accessKeyId: string, secretAccessKey: string): void {
  process.env.AWS_ACCESS_KEY_ID = accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
}

t.test('no credentials given: the default chain finds the environment keys', async (t) => {
  const live = await startLiveTokenizer(t);
  useEnvironmentKeys(testCaller.credentials.accessKeyId, testCaller.credentials.secretAccessKey);
  const client = new TokenizerClient({ endpoint: live.endpoint, region: testRegion });
  t.match(
    await client.tokenize({ value: 'a value' }),
    { token: /^tok_/ },
    'signed with the environment keys',
  );

  useEnvironmentKeys(testCaller.credentials.accessKeyId, 'not-the-secret');
  const misconfigured = new TokenizerClient({ endpoint: live.endpoint, region: testRegion });
  await t.rejects(misconfigured.live(), TokenizerUnauthorizedError, 'the chain is read, not a built-in key');
});

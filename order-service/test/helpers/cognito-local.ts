// Runs the local stack's cognito-local for one test, with the local stack's launcher and its seeded user
// pool and app client: its own port and data directory, stopped and removed in teardown. What tests add is
// its log, where cognito-local prints the confirmation codes it would have emailed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import {
  seededAppClientId,
  seededUserPoolId,
  startCognitoLocal as startSeededCognitoLocal,
} from '@tokenization/local-aws/cognito-local';
import { freePort } from '@tokenization/local-aws/dynamodb-local';
import type { Test } from 'tap';

export interface CognitoLocal {
  /** cognito-local's base URL, exactly as it names itself in its tokens' issuer: COGNITO_ENDPOINT. */
  endpoint: string;
  /** The seeded user pool (USER_PASSWORD_AUTH, email auto-verified, passwords of 12+ characters, all classes). */
  userPoolId: string;
  /** The seeded pool's app client. */
  clientId: string;
  /** The last confirmation code cognito-local printed for this user (it prints instead of emailing). */
  confirmationCode(username: string): Promise<string>;
}

export async function startCognitoLocal(t: Test): Promise<CognitoLocal> {
  const dataDirectory = await mkdtemp(join(tmpdir(), 'cognito-local-'));
  t.teardown(() => rm(dataDirectory, { recursive: true, force: true }));
  const log: string[] = [];
  const host = '127.0.0.1';
  const cognito = await startSeededCognitoLocal({
    host,
    port: await freePort(host),
    dataDirectory,
    onLine: (_name, line) => log.push(stripVTControlCharacters(line)),
  });
  // Teardowns run last registered first: the process stops before its directory goes.
  t.teardown(() => cognito.stop());

  return {
    endpoint: cognito.endpoint,
    userPoolId: seededUserPoolId,
    clientId: seededAppClientId,
    async confirmationCode(username) {
      const deadline = Date.now() + 5_000;
      for (;;) {
        // The code is printed in a box: "Username: <name>", "Destination: <email>", "Code: <digits>".
        const deliveries = log.join('\n').split('Confirmation Code Delivery').slice(1);
        const delivery = deliveries.reverse().find((text) => text.includes(username));
        const code = delivery?.match(/Code:\s+(\d+)/)?.[1];
        if (code !== undefined) return code;
        if (Date.now() > deadline) {
          throw new Error(`cognito-local printed no confirmation code for ${username}:\n${log.join('\n')}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

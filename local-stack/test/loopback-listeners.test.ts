// `npm start` keeps every part of the local stack off the network: DynamoDB Local (the vault table),
// the local KMS, cognito-local, the payment processor stand-in and the two services each listen on
// loopback only. Checked on every TCP listener the stack's processes own (read from /proc, not just the
// configured ports), and by connecting to each through a non-loopback address of this machine (refused)
// and through 127.0.0.1 (accepted).

import { freePort } from '@tokenization/local-aws/dynamodb-local';
import t from 'tap';
import { startLocalStack } from '../src/stack/local-stack.js';
import { localStackSettings } from '../src/stack/settings.js';
import {
  isLoopback,
  listenersOf,
  nonLoopbackAddresses,
  procNetAvailable,
  temporaryAddress,
  tryConnect,
} from './helpers/listening-sockets.js';

const isRoot = process.getuid?.() === 0;
// LOCAL_STACK_TEST_TEMPORARY_ADDRESS=1 exercises the no-address path on a machine that has one.
const found = process.env.LOCAL_STACK_TEST_TEMPORARY_ADDRESS === '1' ? [] : nonLoopbackAddresses();
const skip = !(await procNetAvailable())
  ? 'needs Linux /proc/net/tcp to list the listeners'
  : found.length === 0 && !isRoot
    ? 'this machine has no non-loopback address, and creating one (a veth interface) needs root'
    : false;

t.test(
  'every listener of the local stack is on loopback and unreachable from other addresses',
  { skip },
  async (t) => {
    let addresses = found;
    if (addresses.length === 0) {
      const temporary = await temporaryAddress();
      t.teardown(temporary.remove);
      addresses = [temporary.address];
    }

    const ports = {
      DYNAMODB_PORT: await freePort(),
      KMS_PORT: await freePort(),
      COGNITO_PORT: await freePort(),
      TOKENIZER_PORT: await freePort(),
      ORDER_PORT: await freePort(),
      PAYMENT_PROCESSOR_PORT: await freePort(),
    };
    const settings = localStackSettings(
      [],
      Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    );
    const stack = await startLocalStack({ ...settings, writeOutputs: false });
    t.teardown(() => stack.stop());

    // The local KMS and the payment processor stand-in run inside this process; the other parts are child
    // processes.
    const pids = [
      process.pid,
      ...Object.values(stack.pids).filter((pid): pid is number => pid !== undefined),
    ];
    const listeners = await listenersOf(pids);
    for (const [name, port] of Object.entries(ports)) {
      t.ok(
        listeners.some((listener) => listener.port === port),
        `${name} ${port} is among the listeners found`,
      );
    }
    for (const { address, port, pid } of listeners) {
      t.ok(isLoopback(address), `pid ${pid} listens on ${address}:${port}: loopback`);
      t.equal(await tryConnect('127.0.0.1', port), 'connected', `127.0.0.1:${port} accepts`);
      for (const other of addresses) {
        t.equal(await tryConnect(other, port), 'ECONNREFUSED', `${other}:${port} refuses`);
      }
    }
  },
);

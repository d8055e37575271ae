// Which TCP sockets a set of processes listens on, and at which addresses, read from Linux's /proc:
// every listener, not only the ports a configuration names. Linux only (callers skip elsewhere).
import { execFile } from 'node:child_process';
import { access, readdir, readFile, readlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';

export interface Listener {
  address: string;
  port: number;
  pid: number;
}

export async function procNetAvailable(): Promise<boolean> {
  return access('/proc/net/tcp').then(
    () => true,
    () => false,
  );
}

/** The TCP listeners of `pids` and of all their descendants. */
export async function listenersOf(pids: readonly number[]): Promise<Listener[]> {
  const owners = new Map<string, number>(); // socket inode -> pid
  for (const pid of await withDescendants(pids)) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) owners.set(inode, pid);
    }
  }
  const listeners: Listener[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4Of],
    ['/proc/net/tcp6', ipv6Of],
  ] as const) {
    const lines = (await readFile(file, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [local, state, inode] = [fields[1], fields[3], fields[9]];
      const pid = inode === undefined ? undefined : owners.get(inode);
      if (!local || state !== '0A' || pid === undefined) continue; // 0A: LISTEN
      const [hexAddress = '', hexPort = ''] = local.split(':');
      listeners.push({ address: decode(hexAddress), port: Number.parseInt(hexPort, 16), pid });
    }
  }
  return listeners;
}

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

/** This machine's addresses that are not loopback (nor link-local, which needs a scope to reach). */
export function nonLoopbackAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .filter((entry) => !entry.internal && !entry.address.startsWith('fe80:'))
    .map((entry) => entry.address);
}

/** Connects to address:port and closes at once: 'connected', or the error code (ECONNREFUSED...). */
export function tryConnect(address: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * Gives the machine a non-loopback address for the duration of a test (root only): one end of a veth
 * pair, in this network namespace, with an address from 198.18.0.0/15 (reserved for benchmarking).
 * Deleting either end deletes the pair.
 */
export async function temporaryAddress(): Promise<{ address: string; remove: () => Promise<void> }> {
  const run = promisify(execFile);
  const name = `lsv${process.pid % 100_000}`;
  const address = `198.18.${(process.pid >> 8) % 256}.${(process.pid % 254) + 1}`;
  await run('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
  const remove = async () => {
    await run('ip', ['link', 'del', name]).catch(() => {});
  };
  try {
    await run('ip', ['addr', 'add', `${address}/32`, 'dev', name]);
    await run('ip', ['link', 'set', name, 'up']);
  } catch (error) {
    await remove();
    throw error;
  }
  return { address, remove };
}

async function withDescendants(pids: readonly number[]): Promise<number[]> {
  const parents = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    parents.set(Number(entry), ppid);
  }
  const found = new Set(pids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
    }
  }
  return [...found];
}

/** `0100007F` -> 127.0.0.1 (/proc prints the address in host byte order, little-endian here). */
function ipv4Of(hex: string): string {
  return Buffer.from(hex, 'hex').reverse().join('.');
}

/** Four little-endian 32-bit words -> the address in its usual short form. */
function ipv6Of(hex: string): string {
  const bytes = Buffer.concat(
    [0, 8, 16, 24].map((at) => Buffer.from(hex.slice(at, at + 8), 'hex').reverse()),
  );
  if (bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  const groups = [0, 2, 4, 6, 8, 10, 12, 14].map((at) => bytes.readUInt16BE(at).toString(16));
  return groups
    .join(':')
    .replace(/(^|:)0(:0)+(:|$)/, '::')
    .replace(/^:::/, '::');
}

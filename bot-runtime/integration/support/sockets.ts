import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** TCP state ESTABLISHED in /proc/net/tcp{,6}. */
const ESTABLISHED = '01';

/** Socket inodes this process holds open (its worker threads' included: they share the fd table). */
function ownSocketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed between readdir and readlink
    }
  }
  return inodes;
}

/**
 * Established TCP connections of this process to a remote port, read from /proc: what the
 * runtime's Redis client and Kafka thread really hold, whatever their own state says.
 */
export function connectionsTo(port: number): number {
  const own = ownSocketInodes();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let count = 0;
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [, , remote, state, , , , , , inode] = cols;
      if (remote?.endsWith(`:${hexPort}`) && state === ESTABLISHED && inode && own.has(inode)) count += 1;
    }
  }
  return count;
}

export function portOf(hostPort: string): number {
  const port = Number(/:(\d+)\/?$/.exec(hostPort)?.[1]);
  if (!Number.isInteger(port)) throw new Error(`no port in "${hostPort}"`);
  return port;
}

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

/** Socket inodes of this process's established TCP connections to a remote port, read from /proc. */
export function connectionInodes(port: number): Set<string> {
  const own = ownSocketInodes();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const found = new Set<string>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [, , remote, state, , , , , , inode] = cols;
      if (remote?.endsWith(`:${hexPort}`) && state === ESTABLISHED && inode && own.has(inode))
        found.add(inode);
    }
  }
  return found;
}

/**
 * Established TCP connections of this process to a remote port that were not in `before`: what the
 * runtime's Redis client and Kafka thread really hold, whatever their own state says. Jest runs the
 * integration files in one process, so connections other suites still hold are left out by
 * taking `before` at the start of a test.
 */
export function connectionsTo(port: number, before: ReadonlySet<string> = new Set()): number {
  return [...connectionInodes(port)].filter((inode) => !before.has(inode)).length;
}

export function portOf(hostPort: string): number {
  const port = Number(/:(\d+)\/?$/.exec(hostPort)?.[1]);
  if (!Number.isInteger(port)) throw new Error(`no port in "${hostPort}"`);
  return port;
}

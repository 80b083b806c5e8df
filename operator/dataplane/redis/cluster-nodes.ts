/** Parser for `CLUSTER NODES` output. PURE. */

export interface ClusterNodeInfo {
  id: string;
  host: string;
  port: number;
  flags: string[];
  /** Id of the primary this node replicates, or undefined for a primary. */
  primaryId: string | undefined;
  linkState: 'connected' | 'disconnected';
  slots: number[];
  /** Open migrations seen on this node: slot -> target id (MIGRATING) / source id (IMPORTING). */
  migrating: Map<number, string>;
  importing: Map<number, string>;
}

function parseAddress(field: string): { host: string; port: number } {
  // ip:port@cport[,hostname]
  const hostPort = field.split('@')[0] ?? '';
  const colon = hostPort.lastIndexOf(':');
  return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
}

function parseSlotField(field: string, node: ClusterNodeInfo): void {
  const open = /^\[(\d+)-([<>])-([0-9a-f]+)\]$/.exec(field);
  if (open) {
    const target = open[2] === '>' ? node.migrating : node.importing;
    target.set(Number(open[1]), open[3] ?? '');
    return;
  }
  const [start, end] = field.split('-').map(Number);
  if (start === undefined || Number.isNaN(start)) return;
  for (let s = start; s <= (end ?? start); s++) node.slots.push(s);
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .map((line) => {
      const [id = '', addr = '', flags = '', primary = '-', , , , link = 'disconnected', ...slots] =
        line.split(' ');
      const node: ClusterNodeInfo = {
        id,
        ...parseAddress(addr),
        flags: flags.split(','),
        primaryId: primary === '-' ? undefined : primary,
        linkState: link === 'connected' ? 'connected' : 'disconnected',
        slots: [],
        migrating: new Map(),
        importing: new Map(),
      };
      for (const field of slots) parseSlotField(field, node);
      return node;
    });
}

export function isFailed(node: ClusterNodeInfo): boolean {
  return node.flags.includes('fail') || node.flags.includes('noaddr');
}

export function isPrimary(node: ClusterNodeInfo): boolean {
  return node.flags.includes('master');
}

/** Parses `CLUSTER INFO` into a key -> value map. */
export function parseClusterInfo(text: string): Map<string, string> {
  const info = new Map<string, string>();
  for (const line of text.split('\n')) {
    const idx = line.indexOf(':');
    if (idx > 0) info.set(line.slice(0, idx).trim(), line.slice(idx + 1).trim());
  }
  return info;
}

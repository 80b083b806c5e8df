import { Redis } from 'ioredis';

/**
 * Turns the test environment's blank cluster-enabled redis-servers into a working Redis Cluster
 * (3 primaries with one replica each for 6 nodes), from whatever state an earlier test left.
 * Tests that need a cluster call this first; it is the same sequence `redis-cli --cluster create`
 * performs: reset, meet, assign slots, replicate, wait for cluster_state:ok everywhere.
 */
export async function createRedisCluster(
  nodes: Array<{ host: string; port: number }>,
  primaries = 3,
): Promise<void> {
  const clients = nodes.map((n) => new Redis({ host: n.host, port: n.port, lazyConnect: false }));
  try {
    await resetAll(clients);
    const first = clients[0];
    if (first === undefined) throw new Error('no Redis Cluster nodes given');
    for (const node of nodes.slice(1)) {
      await first.call('CLUSTER', 'MEET', node.host, String(node.port));
    }
    await assignSlots(clients.slice(0, primaries));
    await waitFor(async () => allKnowEachOther(clients), 'nodes to meet');
    await replicate(clients.slice(0, primaries), clients.slice(primaries));
    await waitFor(async () => clusterOk(clients), 'cluster_state:ok on every node');
    // cluster_state:ok says nothing about replicas, and Redis 7 leaves a replica out of CLUSTER
    // SLOTS until it has synced from its primary: wait until every node lists every node there.
    await waitFor(async () => slotsListAll(clients, nodes.length), 'CLUSTER SLOTS to list every node');
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

/** Back to blank, empty, cluster-enabled nodes (no slots, no peers, no keys). */
export async function resetRedisClusterNodes(nodes: Array<{ host: string; port: number }>): Promise<void> {
  const clients = nodes.map((n) => new Redis({ host: n.host, port: n.port, lazyConnect: false }));
  try {
    await resetAll(clients);
  } finally {
    clients.forEach((c) => c.disconnect());
  }
}

async function resetAll(clients: Redis[]): Promise<void> {
  // CLUSTER RESET refuses a primary that holds keys, and a replica refuses FLUSHALL: flush
  // what accepts it, reset (which turns a replica into an empty primary), then flush again.
  for (const c of clients) await c.flushall().catch(() => undefined);
  for (const c of clients) {
    await c.call('CLUSTER', 'RESET', 'HARD');
    await c.flushall();
  }
}

async function assignSlots(primaries: Redis[]): Promise<void> {
  const per = Math.ceil(16384 / primaries.length);
  for (const [i, c] of primaries.entries()) {
    const start = i * per;
    const end = Math.min(16383, start + per - 1);
    await c.call('CLUSTER', 'ADDSLOTSRANGE', String(start), String(end));
  }
}

async function replicate(primaries: Redis[], replicas: Redis[]): Promise<void> {
  const primaryIds = await Promise.all(primaries.map(async (p) => String(await p.call('CLUSTER', 'MYID'))));
  for (const [i, r] of replicas.entries()) {
    const id = primaryIds[i % primaryIds.length]!;
    await waitFor(async () => {
      try {
        await r.call('CLUSTER', 'REPLICATE', id);
        return true;
      } catch {
        return false; // the replica has not learned of the primary yet
      }
    }, 'replica to accept CLUSTER REPLICATE');
  }
}

async function allKnowEachOther(clients: Redis[]): Promise<boolean> {
  for (const c of clients) {
    const nodes = String(await c.call('CLUSTER', 'NODES'))
      .trim()
      .split('\n');
    if (nodes.length < clients.length || nodes.some((l) => l.includes('handshake'))) return false;
  }
  return true;
}

async function slotsListAll(clients: Redis[], count: number): Promise<boolean> {
  for (const c of clients) {
    const slots = (await c.call('CLUSTER', 'SLOTS')) as [number, number, ...[string, number][]][];
    const members = new Set(slots.flatMap(([, , ...hosts]) => hosts.map((h) => `${h[0]}:${h[1]}`)));
    if (members.size < count) return false;
  }
  return true;
}

async function clusterOk(clients: Redis[]): Promise<boolean> {
  for (const c of clients) {
    const info = String(await c.call('CLUSTER', 'INFO'));
    if (!info.includes('cluster_state:ok')) return false;
  }
  return true;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

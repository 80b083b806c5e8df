import { describe, expect, it } from '@jest/globals';
import type { NodeView } from './cluster-node.js';
import { parseClusterNodes } from './cluster-nodes.js';
import { rollMembers } from './cluster-roll.js';

/** Views of a 1-shard cluster: p (primary, slots 0-9) and r (replica of p). */
function views(outdated: { p: boolean; r: boolean }, replicaOf = 'p'): NodeView[] {
  const text = [
    'p 10.0.0.1:6379@16379 master - 0 0 1 connected 0-9',
    `r 10.0.0.2:6379@16379 slave ${replicaOf} 0 0 1 connected`,
  ].join('\n');
  const known = parseClusterNodes(text);
  return known.map((self, i) => ({
    pod: {
      shard: 0,
      ordinal: i,
      host: self.host,
      port: 6379,
      name: `s0-${i}`,
      outdated: i === 0 ? outdated.p : outdated.r,
    },
    id: self.id,
    self,
    known,
  }));
}

const info = (entries: Record<string, string>): Map<string, string> => new Map(Object.entries(entries));

describe('rollMembers', () => {
  it.each<[string, Map<string, Map<string, string>>, boolean]>([
    [
      'link up, caught up',
      new Map([
        ['p', info({ master_repl_offset: '500' })],
        ['r', info({ master_link_status: 'up', master_sync_in_progress: '0', slave_repl_offset: '500' })],
      ]),
      true,
    ],
    [
      'link down',
      new Map([
        ['p', info({ master_repl_offset: '500' })],
        ['r', info({ master_link_status: 'down', master_sync_in_progress: '0', slave_repl_offset: '500' })],
      ]),
      false,
    ],
    ['no INFO', new Map(), false],
  ])('%s', (_what, replication, inSync) => {
    const members = rollMembers(views({ p: true, r: false }), replication);
    expect(members).toEqual([
      { name: 's0-0', shard: 0, outdated: true, role: 'primary', inSync: true },
      { name: 's0-1', shard: 0, outdated: false, role: 'replica', primary: 's0-0', inSync },
    ]);
  });

  it('a node replicating something that is not a serving primary is detached', () => {
    const members = rollMembers(views({ p: false, r: true }, 'gone'), new Map());
    expect(members[1]).toMatchObject({ name: 's0-1', role: 'detached', outdated: true });
  });
});

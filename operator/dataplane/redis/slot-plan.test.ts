import { describe, expect, it } from '@jest/globals';
import { parseClusterInfo, parseClusterNodes } from './cluster-nodes.js';
import {
  evenSlotCounts,
  evenSlotRanges,
  formatRanges,
  isBalanced,
  planRebalance,
  SLOT_COUNT,
  slotsToRanges,
} from './slot-plan.js';

const range = (start: number, end: number) => Array.from({ length: end - start + 1 }, (_, i) => start + i);

function applyMoves(
  owned: Map<string, number[]>,
  moves: ReturnType<typeof planRebalance>,
): Map<string, number[]> {
  const next = new Map([...owned].map(([k, v]) => [k, [...v]]));
  for (const m of moves) {
    next.set(
      m.from,
      next.get(m.from)!.filter((s) => s !== m.slot),
    );
    next.set(m.to, [...(next.get(m.to) ?? []), m.slot]);
  }
  return next;
}

describe('even split', () => {
  it.each([
    [3, [5462, 5461, 5461]],
    [4, [4096, 4096, 4096, 4096]],
    [5, [3277, 3277, 3277, 3277, 3276]],
  ])('%i shards -> %j', (n, counts) => {
    expect(evenSlotCounts(n)).toEqual(counts);
  });

  it('ranges cover 0..16383 exactly once', () => {
    for (const n of [1, 3, 7, 10]) {
      const ranges = evenSlotRanges(n);
      expect(ranges[0]!.start).toBe(0);
      expect(ranges[ranges.length - 1]!.end).toBe(SLOT_COUNT - 1);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.start).toBe(ranges[i - 1]!.end + 1);
    }
    expect(formatRanges(evenSlotRanges(3))).toEqual(['0-5461', '5462-10922', '10923-16383']);
  });

  it('rejects nonsense shard counts', () => {
    expect(() => evenSlotCounts(0)).toThrow(RangeError);
  });
});

describe('planRebalance', () => {
  const three = () => {
    const r = evenSlotRanges(3);
    return new Map(r.map((x, i) => [`n${i}`, range(x.start, x.end)]));
  };

  it('balanced cluster -> no moves', () => {
    expect(planRebalance(three(), ['n0', 'n1', 'n2'])).toEqual([]);
    expect(isBalanced(three(), ['n0', 'n1', 'n2'])).toBe(true);
  });

  it('3 -> 4 shards: moves exactly 4096 slots, all to the new primary, ending even', () => {
    const owned = three();
    const moves = planRebalance(owned, ['n0', 'n1', 'n2', 'n3']);
    expect(moves).toHaveLength(4096);
    expect(new Set(moves.map((m) => m.to))).toEqual(new Set(['n3']));
    expect(new Set(moves.map((m) => m.slot)).size).toBe(4096);
    const after = applyMoves(owned, moves);
    expect([...after.values()].map((s) => s.length).sort()).toEqual([4096, 4096, 4096, 4096]);
    expect(isBalanced(after, ['n0', 'n1', 'n2', 'n3'])).toBe(true);
    // each donor gives away its highest slots, so what it keeps is still one range
    for (const id of ['n0', 'n1', 'n2']) expect(slotsToRanges(after.get(id)!)).toHaveLength(1);
  });

  it('3 -> 5 shards splits the donations between both new primaries', () => {
    const moves = planRebalance(three(), ['n0', 'n1', 'n2', 'n3', 'n4']);
    const to = (id: string) => moves.filter((m) => m.to === id).length;
    expect([to('n3'), to('n4')].sort()).toEqual([3276, 3277]);
  });

  it('drains a primary that is no longer listed (safe scale-in plan)', () => {
    const moves = planRebalance(three(), ['n0', 'n1']);
    expect(moves.filter((m) => m.from === 'n2')).toHaveLength(5461);
    const after = applyMoves(three(), moves);
    expect(after.get('n2')).toEqual([]);
    expect(after.get('n0')!.length + after.get('n1')!.length).toBe(SLOT_COUNT);
  });
});

describe('slotsToRanges', () => {
  it('collapses runs', () => {
    expect(formatRanges(slotsToRanges([5, 1, 2, 3, 9, 10]))).toEqual(['1-3', '5', '9-10']);
    expect(slotsToRanges([])).toEqual([]);
  });
});

describe('parseClusterNodes', () => {
  const text = [
    '07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,hostname4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected',
    '67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922',
    'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]',
    '6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave,fail 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 disconnected',
    '',
  ].join('\n');

  it('reads ids, addresses, roles, slots and open migrations', () => {
    const nodes = parseClusterNodes(text);
    expect(nodes).toHaveLength(4);
    expect(nodes[0]).toMatchObject({
      host: '127.0.0.1',
      port: 30004,
      primaryId: 'e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca',
    });
    expect(nodes[1]!.slots).toHaveLength(5462);
    expect(nodes[2]!.flags).toEqual(['myself', 'master']);
    expect(nodes[2]!.slots).toHaveLength(5461);
    expect(nodes[2]!.migrating.get(5461)).toBe('67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1');
    expect(nodes[3]!.linkState).toBe('disconnected');
  });

  it('parses CLUSTER INFO', () => {
    const info = parseClusterInfo('cluster_state:ok\r\ncluster_slots_assigned:16384\r\n');
    expect(info.get('cluster_state')).toBe('ok');
    expect(info.get('cluster_slots_assigned')).toBe('16384');
  });
});

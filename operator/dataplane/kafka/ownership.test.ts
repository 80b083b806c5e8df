import { describe, expect, it } from '@jest/globals';
import type { KafkaTopicSpecInput } from '../../api/index.js';
import { testCbd } from '../fixtures.js';
import type { ChatbotDeployment } from '../types.js';
import { claimObject, CLAIM_LABEL, HOLDER_LABEL, parseClaim } from './claims.js';
import { claimName, claimStanding, decideOwnership, holderLabelValue, planDeletion } from './ownership.js';
import type { ClaimStanding, OwnershipDecision, TopicClaim } from './ownership.js';
import type { DesiredTopic } from './topics.js';

const self = { namespace: 'team-a', name: 'bot', uid: 'u-1' };
const other = { namespace: 'team-b', name: 'rival', uid: 'u-2' };

function cbdOf(
  namespace: string,
  name: string,
  topics: KafkaTopicSpecInput[] | undefined,
): ChatbotDeployment {
  return testCbd({
    metadata: { namespace, name, uid: `uid-${name}` },
    ...(topics ? { kafka: { bootstrapServers: ['b:9092'], topics } } : {}),
  });
}

function claim(over: Partial<TopicClaim> = {}): TopicClaim {
  return { clusterId: 'c1', topic: 't', holder: self, adopted: false, resourceVersion: '7', ...over };
}

const topic = (adopt = false): DesiredTopic => ({
  name: 't',
  partitions: 3,
  replicationFactor: 1,
  config: {},
  purpose: undefined,
  adopt,
});

describe('claimStanding', () => {
  const table: [string, TopicClaim, ChatbotDeployment | undefined, ClaimStanding][] = [
    ['held by this CR', claim(), undefined, 'self'],
    [
      'this CR re-created under the same name (uid differs)',
      claim({ holder: { ...self, uid: 'old' } }),
      undefined,
      'self',
    ],
    ['holder gone', claim({ holder: other }), undefined, 'stale'],
    [
      'holder declares the topic',
      claim({ holder: other }),
      cbdOf('team-b', 'rival', [{ name: 't' }]),
      'held',
    ],
    [
      'holder no longer declares it',
      claim({ holder: other }),
      cbdOf('team-b', 'rival', [{ name: 'x' }]),
      'stale',
    ],
    ['holder dropped Kafka', claim({ holder: other }), cbdOf('team-b', 'rival', undefined), 'stale'],
    [
      'adopted, and the holder still adopts it',
      claim({ holder: other, adopted: true }),
      cbdOf('team-b', 'rival', [{ name: 't', adopt: true }]),
      'held',
    ],
    [
      'adopted, but the holder unset adopt',
      claim({ holder: other, adopted: true }),
      cbdOf('team-b', 'rival', [{ name: 't' }]),
      'stale',
    ],
    [
      'a CR read under another name is not the holder',
      claim({ holder: other }),
      cbdOf('team-b', 'impostor', [{ name: 't' }]),
      'stale',
    ],
  ];
  it.each(table)('%s', (_name, c, holderCr, want) => {
    expect(claimStanding(c, self, holderCr)).toBe(want);
  });
});

describe('decideOwnership', () => {
  interface Row {
    adopt: boolean;
    exists: boolean;
    claim?: TopicClaim;
    standing?: ClaimStanding;
    kind: OwnershipDecision['kind'];
    /** For claim decisions: recorded as adopted (true) or created (false). */
    adopted?: boolean;
  }
  const held = claim({ holder: other });
  const table: [string, Row][] = [
    [
      'absent, unclaimed: claim it, then create',
      { adopt: false, exists: false, kind: 'claim', adopted: false },
    ],
    ['exists, unclaimed: not ours, left untouched', { adopt: false, exists: true, kind: 'notOwned' }],
    [
      'exists, unclaimed, adopt: claim as adopted',
      { adopt: true, exists: true, kind: 'claim', adopted: true },
    ],
    [
      'absent, adopt: created by us, not adopted',
      { adopt: true, exists: false, kind: 'claim', adopted: false },
    ],
    ['ours, created by us', { adopt: false, exists: true, claim: claim(), standing: 'self', kind: 'owned' }],
    [
      'ours, deleted by hand: re-create',
      { adopt: false, exists: false, claim: claim(), standing: 'self', kind: 'owned' },
    ],
    [
      'ours, adopted and still adopt',
      { adopt: true, exists: true, claim: claim({ adopted: true }), standing: 'self', kind: 'owned' },
    ],
    [
      'ours, adopted, adopt unset: hands off',
      { adopt: false, exists: true, claim: claim({ adopted: true }), standing: 'self', kind: 'notOwned' },
    ],
    [
      'ours, adopted, now gone: create it as ours',
      {
        adopt: false,
        exists: false,
        claim: claim({ adopted: true }),
        standing: 'self',
        kind: 'claim',
        adopted: false,
      },
    ],
    ['held by another CR', { adopt: false, exists: true, claim: held, standing: 'held', kind: 'conflict' }],
    [
      'held by another CR, even with adopt',
      { adopt: true, exists: true, claim: held, standing: 'held', kind: 'conflict' },
    ],
    [
      'held by another CR, not created yet',
      { adopt: false, exists: false, claim: held, standing: 'held', kind: 'conflict' },
    ],
    [
      'stale claim, topic exists: not ours',
      { adopt: false, exists: true, claim: held, standing: 'stale', kind: 'notOwned' },
    ],
    [
      'stale claim, topic exists, adopt: take over as adopted',
      { adopt: true, exists: true, claim: held, standing: 'stale', kind: 'claim', adopted: true },
    ],
    [
      'stale claim, topic gone: take over and create',
      { adopt: false, exists: false, claim: held, standing: 'stale', kind: 'claim', adopted: false },
    ],
  ];
  it.each(table)('%s', (_name, row) => {
    const d = decideOwnership({
      topic: topic(row.adopt),
      exists: row.exists,
      claim: row.claim,
      standing: row.standing,
    });
    expect(d.kind).toBe(row.kind);
    if (d.kind === 'claim') {
      expect(d.adopted).toBe(row.adopted);
      // A takeover replaces exactly the claim that was read (its resourceVersion is the precondition).
      expect(d.replaces).toBe(row.claim);
    }
  });

  it('messages name the topic, the other CR and the way out', () => {
    const conflict = decideOwnership({
      topic: topic(),
      exists: true,
      claim: claim({ holder: other }),
      standing: 'held',
    });
    expect(conflict).toMatchObject({ kind: 'conflict', holder: other });
    expect(conflict.kind === 'conflict' && conflict.message).toContain(
      'owned by ChatbotDeployment team-b/rival',
    );
    const notOwned = decideOwnership({ topic: topic(), exists: true, claim: undefined, standing: undefined });
    expect(notOwned.kind === 'notOwned' && notOwned.message).toMatch(/topic t already exists.*adopt: true/);
    const stale = decideOwnership({
      topic: topic(),
      exists: true,
      claim: claim({ holder: other }),
      standing: 'stale',
    });
    expect(stale.kind === 'notOwned' && stale.message).toContain('created by ChatbotDeployment team-b/rival');
  });
});

describe('planDeletion', () => {
  const me = cbdOf('team-a', 'bot', [
    { name: 't' },
    { name: 'adopted', adopt: true },
    { name: 'was-adopted' },
    { name: 'foreign' },
  ]);
  it('deletes only declared topics this CR created or still adopts', () => {
    const claims = [
      claim({ topic: 't' }),
      claim({ topic: 'adopted', adopted: true }),
      claim({ topic: 'was-adopted', adopted: true }),
      claim({ topic: 'undeclared' }),
    ];
    const plan = planDeletion(me, claims);
    expect(plan.delete.map((c) => c.topic)).toEqual(['t', 'adopted']);
    expect(plan.notOwned).toEqual(['was-adopted', 'foreign']);
  });

  it('never deletes a claim of another holder, even one listed by mistake', () => {
    const plan = planDeletion(me, [claim({ topic: 't', holder: other })]);
    expect(plan.delete).toEqual([]);
    expect(plan.notOwned).toContain('t');
  });

  it('nothing claimed: nothing to delete (the broker need not be asked)', () => {
    expect(planDeletion(me, []).delete).toEqual([]);
  });
});

describe('claim records', () => {
  it('one name per (cluster, topic), a valid ConfigMap name', () => {
    const a = claimName('c1', 't');
    expect(a).toMatch(/^chatfleet-topic-[0-9a-f]{40}$/);
    expect(claimName('c1', 't')).toBe(a);
    expect(claimName('c2', 't')).not.toBe(a);
    expect(claimName('c1', 'u')).not.toBe(a);
    expect(holderLabelValue({ namespace: 'n', name: 'x'.repeat(253) })).toHaveLength(40);
  });

  it('round-trips through its ConfigMap', () => {
    const c = claim({ adopted: true });
    const obj = claimObject(c, 'chatfleet-system');
    expect(obj.metadata).toMatchObject({
      name: claimName('c1', 't'),
      namespace: 'chatfleet-system',
      resourceVersion: '7',
      labels: { [CLAIM_LABEL]: 'true', [HOLDER_LABEL]: holderLabelValue(self) },
    });
    expect(() => obj.validate()).not.toThrow();
    // What the API server returns is the JSON written.
    expect(parseClaim(JSON.parse(JSON.stringify(obj.toJSON())) as Parameters<typeof parseClaim>[0])).toEqual(
      c,
    );
  });

  it('a record edited into nonsense is held by nobody', () => {
    const parsed = parseClaim({ metadata: { name: 'x' }, data: { topic: 't' } });
    expect(parsed.holder).toEqual({ namespace: '', name: '' });
    expect(claimStanding(parsed, self, undefined)).toBe('stale');
  });
});

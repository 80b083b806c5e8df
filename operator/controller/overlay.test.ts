import { describe, expect, it } from '@jest/globals';
import { ownerUid, WriteOverlay } from './overlay.js';

const obj = (rv: string, tag: string) => ({ metadata: { resourceVersion: rv, name: tag } });

describe('WriteOverlay', () => {
  it('prefers what we wrote while the cache is older, then drops it once the cache catches up', () => {
    const o = new WriteOverlay();
    o.remember('k', obj('20', 'mine'));
    expect(o.fresher('k', obj('19', 'cache'))?.metadata.name).toBe('mine');
    expect(o.fresher('k', undefined)?.metadata.name).toBe('mine');
    expect(o.fresher('k', obj('20', 'cache'))?.metadata.name).toBe('cache');
    expect(o.size()).toBe(0);
  });

  it('trusts the cache when resourceVersions are not integers', () => {
    const o = new WriteOverlay();
    o.remember('k', obj('b', 'mine'));
    expect(o.fresher('k', obj('a', 'cache'))?.metadata.name).toBe('cache');
  });

  it('passes the cache through when nothing was written', () => {
    expect(new WriteOverlay().fresher('k', obj('1', 'cache'))?.metadata.name).toBe('cache');
  });

  const owned = (rv: string, owner: string) => ({
    metadata: {
      resourceVersion: rv,
      ownerReferences: [
        {
          apiVersion: 'chatfleet.io/v1alpha1',
          kind: 'ChatbotDeployment',
          name: 'x',
          uid: owner,
          controller: true,
        },
      ],
    },
  });
  const fleet = (rv: string, uid: string) => ({ metadata: { resourceVersion: rv, uid } });
  // Fleets `bot` (uid-bot) and `bot-2` (uid-bot-2): every child name of `bot` is a prefix of one of `bot-2`'s.
  const entries: [key: string, obj: { metadata: object }][] = [
    ['fleet/ns/bot', fleet('1', 'uid-bot')],
    ['Deployment/ns/bot', owned('2', 'uid-bot')],
    ['Deployment/ns/bot-canary', owned('3', 'uid-bot')],
    ['ConfigMap/ns/bot-runtime', owned('4', 'uid-bot')],
    ['fleet/ns/bot-2', fleet('5', 'uid-bot-2')],
    ['Deployment/ns/bot-2', owned('6', 'uid-bot-2')],
    ['ConfigMap/ns/bot-2-runtime', owned('7', 'uid-bot-2')],
    ['fleet/other/bot', fleet('8', 'uid-other-bot')],
    ['Deployment/other/bot', owned('9', 'uid-other-bot')],
  ];
  const keys = entries.map(([k]) => k);
  const bot2 = ['fleet/ns/bot-2', 'Deployment/ns/bot-2', 'ConfigMap/ns/bot-2-runtime'];
  const otherBot = ['fleet/other/bot', 'Deployment/other/bot'];
  const bot = ['fleet/ns/bot', 'Deployment/ns/bot', 'Deployment/ns/bot-canary', 'ConfigMap/ns/bot-runtime'];

  it.each<[string, string[], string[]]>([
    ['bot', ['uid-bot'], [...bot2, ...otherBot]],
    ['bot-2', ['uid-bot-2'], [...bot, ...otherBot]],
    ['bot in another namespace', ['uid-other-bot'], [...bot, ...bot2]],
    ['bot, then bot-2', ['uid-bot', 'uid-bot-2'], otherBot],
    ['a uid that owns nothing', ['uid-none'], keys],
  ])('forgetting fleet %s drops exactly its own entries', (_case, uids, kept) => {
    const o = new WriteOverlay();
    for (const [k, v] of entries) o.remember(k, v);
    for (const uid of uids) o.forgetOwner(uid);
    const present = keys.filter((k) => o.fresher(k, undefined) !== undefined);
    expect(present).toEqual(kept);
    expect(o.size()).toBe(kept.length);
  });

  it('keeps bot-2 whole when bot goes (the case a name-prefix match got wrong)', () => {
    const o = new WriteOverlay();
    for (const [k, v] of entries) o.remember(k, v);
    o.forgetOwner('uid-bot');
    expect(o.fresher('Deployment/ns/bot-2', undefined)).toBeDefined();
    expect(o.fresher('ConfigMap/ns/bot-2-runtime', undefined)).toBeDefined();
    expect(o.fresher('fleet/ns/bot-2', undefined)).toBeDefined();
    expect(o.fresher('Deployment/ns/bot', undefined)).toBeUndefined();
    expect(o.fresher('ConfigMap/ns/bot-runtime', undefined)).toBeUndefined();
  });
});

describe('ownerUid', () => {
  it.each<[string, { metadata: object }, string | undefined]>([
    [
      'a child: its controller reference',
      { metadata: { uid: 'child', ownerReferences: [{ uid: 'cr', controller: true }] } },
      'cr',
    ],
    [
      'a non-controller reference is not the owner',
      { metadata: { uid: 'child', ownerReferences: [{ uid: 'cr' }] } },
      'child',
    ],
    ['the fleet itself: its own uid', { metadata: { uid: 'cr' } }, 'cr'],
    ['nothing to go by', { metadata: {} }, undefined],
  ])('%s', (_case, obj, want) => {
    expect(ownerUid(obj as Parameters<typeof ownerUid>[0])).toBe(want);
  });
});

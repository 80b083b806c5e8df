import { describe, expect, it } from '@jest/globals';
import { adminPoolKey, brokerSet, idleVictims, lruVictims } from './admin-pool-policy.js';
import type { AdminTarget, PoolEntryView } from './admin-pool-policy.js';

const scram = (username: string, password: string): AdminTarget['connection'] => ({
  sasl: { mechanism: 'scram-sha-512', username, password },
});

describe('adminPoolKey', () => {
  const base: AdminTarget = { brokers: ['b:9092', 'a:9092'], connection: scram('u', 'secret-1') };
  // [what changes, target, same key as base]
  const rows: [string, AdminTarget, boolean][] = [
    ['nothing', { ...base }, true],
    ['broker order', { ...base, brokers: ['a:9092', 'b:9092'] }, true],
    ['a duplicate broker and spaces', { ...base, brokers: [' a:9092', 'b:9092', 'a:9092'] }, true],
    ['another broker', { ...base, brokers: ['a:9092', 'c:9092'] }, false],
    ['the password', { ...base, connection: scram('u', 'secret-2') }, false],
    ['the username', { ...base, connection: scram('v', 'secret-1') }, false],
    [
      'the mechanism',
      { ...base, connection: { sasl: { mechanism: 'plain', username: 'u', password: 'secret-1' } } },
      false,
    ],
    ['TLS on', { ...base, connection: { ...scram('u', 'secret-1'), ssl: true } }, false],
    ['a CA', { ...base, connection: { ...scram('u', 'secret-1'), ssl: { ca: ['PEM-1'] } } }, false],
    ['no credentials', { brokers: base.brokers }, false],
  ];
  const table = rows.map(([what, target, same]) => [what, same, target] as const);
  it.each(table)('changing %s: same key %s', (_what, same, target) => {
    expect(adminPoolKey(target) === adminPoolKey(base)).toBe(same);
  });

  it('two CAs give two keys', () => {
    const withCa = (ca: string): AdminTarget => ({ brokers: ['a:9092'], connection: { ssl: { ca: [ca] } } });
    expect(adminPoolKey(withCa('PEM-1'))).not.toBe(adminPoolKey(withCa('PEM-2')));
  });

  it('never holds the password or the CA', () => {
    const key = adminPoolKey({
      brokers: ['a:9092'],
      connection: {
        ...scram('user', 'hunter2-very-secret'),
        ssl: { ca: ['-----BEGIN CERTIFICATE-----xyz'] },
      },
    });
    expect(key).not.toContain('hunter2');
    expect(key).not.toContain('BEGIN CERTIFICATE');
    expect(key).toMatch(/^a:9092\|tls\|scram-sha-512\|user\|[0-9a-f]{16}$/);
  });

  it('brokerSet sorts and de-duplicates', () => {
    expect(brokerSet(['z:1', 'a:1', 'z:1', ''])).toBe('a:1,z:1');
  });
});

const entry = (key: string, users: number, lastUsedMs: number): PoolEntryView => ({ key, users, lastUsedMs });

describe('idleVictims (injected clock)', () => {
  const limits = { idleMs: 300_000, maxEntries: 64 };
  // [entries, now ms, evicted keys]
  const table: [PoolEntryView[], number, string[]][] = [
    [[], 1_000_000, []],
    [[entry('a', 0, 0)], 299_999, []],
    [[entry('a', 0, 0)], 300_000, ['a']],
    [[entry('a', 1, 0)], 10_000_000, []], // in use: never idle, however old
    [[entry('a', 0, 0), entry('b', 0, 100_000), entry('c', 2, 0)], 350_000, ['a']],
    [[entry('a', 0, 0), entry('b', 0, 100_000)], 400_000, ['a', 'b']],
  ];
  it.each(table)('%j at %s ms evicts %j', (entries, now, evicted) => {
    expect(idleVictims(entries, now, limits)).toEqual(evicted);
  });
});

describe('lruVictims', () => {
  // [maxEntries, entries, evicted keys] before adding one more
  const table: [number, PoolEntryView[], string[]][] = [
    [3, [entry('a', 0, 1), entry('b', 0, 2)], []],
    [3, [entry('a', 0, 3), entry('b', 0, 1), entry('c', 0, 2)], ['b']],
    [2, [entry('a', 0, 3), entry('b', 0, 1), entry('c', 0, 2)], ['b', 'c']],
    // an entry in use goes only after every idle one, oldest first
    [3, [entry('a', 1, 1), entry('b', 0, 5), entry('c', 0, 2)], ['c']],
    [2, [entry('a', 1, 1), entry('b', 2, 5)], ['a']],
    // a cap below one still lets the new entry in
    [0, [entry('a', 0, 1)], ['a']],
  ];
  it.each(table)('cap %s with %j evicts %j', (maxEntries, entries, evicted) => {
    expect(lruVictims(entries, { idleMs: 1, maxEntries })).toEqual(evicted);
  });

  it('64 distinct broker sets and one more: the pool never holds more than the cap', () => {
    let entries: PoolEntryView[] = [];
    for (let i = 0; i < 200; i++) {
      const out = new Set(lruVictims(entries, { idleMs: 1, maxEntries: 64 }));
      entries = [...entries.filter((e) => !out.has(e.key)), entry(`set-${i}`, i % 3 === 0 ? 1 : 0, i)];
      expect(entries.length).toBeLessThanOrEqual(64);
    }
    expect(entries.map((e) => e.key)).toContain('set-199');
  });
});

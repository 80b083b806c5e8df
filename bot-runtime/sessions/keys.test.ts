import { describe, expect, it } from '@jest/globals';
import { normalise } from '../classifier/normalise.js';
import {
  ANONYMOUS_OWNER,
  FleetKeys,
  isValidSessionId,
  newSessionId,
  ownerOf,
  sessionKeyList,
} from './keys.js';

const keys = new FleetKeys('shop/bot');

describe('answer keys', () => {
  it('are equal for questions that normalise alike', () => {
    expect(keys.answer('v1', normalise('Is delivery free?'))).toBe(
      keys.answer('v1', normalise('is DELIVERY free')),
    );
  });

  it('differ by model version and question, with no ambiguity between the parts', () => {
    expect(keys.answer('v1', 'q')).not.toBe(keys.answer('v2', 'q'));
    expect(keys.answer('v1', 'q')).toMatch(/^cf:shop\/bot:ans:v1:/);
    expect(keys.answer('v1', 'a')).not.toBe(keys.answer('v1', 'b'));
    expect(keys.answer('a:b', 'q')).not.toBe(keys.answer('a', 'b:q'));
  });

  it('carry no hash tag (they spread over Cluster shards)', () => {
    expect(keys.answer('v1', 'q')).not.toMatch(/[{}]/);
  });
});

describe('fleet prefix', () => {
  it.each([
    ['shop/bot', 'cf:shop/bot:'],
    ['', 'cf:'],
    ['a{b}/c:d', 'cf:a%7Bb%7D/c%3Ad:'],
  ])('FLEET_ID %j -> %j', (fleetId, prefix) => {
    expect(new FleetKeys(fleetId).prefix).toBe(prefix);
  });

  it('separates every key kind of two fleets', () => {
    const other = new FleetKeys('shop/bot-2');
    expect(other.session('s').turns).not.toBe(keys.session('s').turns);
    expect(other.answer('v1', 'q')).not.toBe(keys.answer('v1', 'q'));
    expect(other.rateLimit('key:a', 60)).not.toBe(keys.rateLimit('key:a', 60));
    expect(other.taskDone('t')).not.toBe(keys.taskDone('t'));
    expect(other.forwardingToken()).not.toBe(keys.forwardingToken());
  });

  it('keeps a fleet id from forging a hash tag', () => {
    const forged = new FleetKeys('x}{sess:victim');
    expect(forged.session('s').turns).toBe('cf:x%7D%7Bsess%3Avictim:{sess:s}:turns');
  });
});

describe('session keys', () => {
  it('share one hash tag per session (one Cluster slot for the Lua scripts)', () => {
    const k = keys.session('abc');
    expect(k).toEqual({
      turns: 'cf:shop/bot:{sess:abc}:turns',
      seq: 'cf:shop/bot:{sess:abc}:seq',
      pin: 'cf:shop/bot:{sess:abc}:pin',
      owner: 'cf:shop/bot:{sess:abc}:owner',
      summary: 'cf:shop/bot:{sess:abc}:summary',
    });
  });

  it.each([
    ['abc-DEF_123', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['', false],
    ['a}b', false],
    ['a b', false],
    ['../x', false],
  ])('session id %j valid=%s', (id, ok) => {
    expect(isValidSessionId(id)).toBe(ok);
  });

  it('makes ids of 128 random bits that are valid session ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, newSessionId));
    expect(ids.size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
  });

  it('stores owners as digests, never the principal', () => {
    expect(ownerOf(undefined)).toBe(ANONYMOUS_OWNER);
    expect(ownerOf('jwt:alice')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ownerOf('jwt:alice')).not.toContain('alice');
    expect(ownerOf('jwt:alice')).not.toBe(ownerOf('key:alice'));
  });
});

describe('rate-limit and task keys', () => {
  it('hash identities and task ids', () => {
    expect(keys.rateLimit('ip:10.0.0.1', 120)).toMatch(/^cf:shop\/bot:\{rl:[A-Za-z0-9_-]{22}\}:120$/);
    expect(keys.rateLimit('jwt:alice', 120)).not.toBe(keys.rateLimit('jwt:bob', 120));
    expect(keys.taskDone('t1')).not.toBe(keys.taskDone('t2'));
  });
});

describe('sessionKeyList', () => {
  it('lists every key of the session once, owner first (the erase script checks KEYS[1])', () => {
    const k = new FleetKeys('ns/fleet').session('abc');
    const list = sessionKeyList(k);
    expect(list[0]).toBe(k.owner);
    expect([...list].sort()).toEqual(Object.values(k).sort());
  });
});

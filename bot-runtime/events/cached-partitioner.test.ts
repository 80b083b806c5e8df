import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { cachedDefaultPartitioner } from './cached-partitioner.js';

function metadata(count: number): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));
}

describe('cachedDefaultPartitioner', () => {
  const keys = [...Array.from({ length: 300 }, () => randomUUID()), '', 'k', '\u20ac-session'];

  it.each([1, 3, 7, 32])('picks the default partitioner’s partition for every key (%i partitions)', (n) => {
    const expected = Partitioners.DefaultPartitioner();
    const cached = cachedDefaultPartitioner();
    // twice over: the second pass answers from the cache
    for (const key of [...keys, ...keys]) {
      const args = { topic: 't', partitionMetadata: metadata(n), message: { key, value: 'v' } };
      expect(cached(args)).toBe(expected(args));
    }
  });

  it('recomputes when the topic gains partitions', () => {
    const expected = Partitioners.DefaultPartitioner();
    const cached = cachedDefaultPartitioner();
    for (const n of [3, 12]) {
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata: metadata(n), message: { key, value: 'v' } };
        expect(cached(args)).toBe(expected(args));
      }
    }
  });

  it('keeps an explicit partition', () => {
    const cached = cachedDefaultPartitioner();
    const byKey = cached({ topic: 't', partitionMetadata: metadata(3), message: { key: 'k', value: 'v' } });
    const other = (byKey + 1) % 3;
    const args = {
      topic: 't',
      partitionMetadata: metadata(3),
      message: { key: 'k', value: 'v', partition: other },
    };
    expect(cached(args)).toBe(other);
  });
});

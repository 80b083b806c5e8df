import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/** Keys remembered at most; past it the cache starts over (sessions come and go). */
const MAX_KEYS = 10_000;

/**
 * kafkajs's DefaultPartitioner (murmur2 of the key, like the Java client), computed once per key
 * and partition count instead of once per message: kafkajs's murmur2 runs on 64-bit Long objects
 * and was a third of the Kafka thread's CPU per event, while a session's turns repeat its key.
 * Same partition for every key as the default; a changed partition count recomputes it.
 */
export const cachedDefaultPartitioner: ICustomPartitioner = () => {
  const partition = Partitioners.DefaultPartitioner();
  const cache = new Map<string, number>();
  let partitionCount = -1;
  return (args) => {
    const key = args.message.key;
    if (typeof key !== 'string' || args.message.partition != null) return partition(args);
    if (args.partitionMetadata.length !== partitionCount) {
      cache.clear();
      partitionCount = args.partitionMetadata.length;
    }
    let p = cache.get(key);
    if (p === undefined) {
      p = partition(args);
      if (cache.size >= MAX_KEYS) cache.clear();
      cache.set(key, p);
    }
    return p;
  };
};

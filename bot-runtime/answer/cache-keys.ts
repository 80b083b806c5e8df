import { createHash } from 'node:crypto';

/**
 * Answer-cache key: model version + digest of the normalised question. The version is part of
 * the key, so a model update can never serve another version's answers; old entries age out by TTL.
 * No hash tag: cache entries should spread over every Cluster shard.
 */
export function answerCacheKey(modelVersion: string, normalisedQuestion: string): string {
  const digest = createHash('sha256').update(normalisedQuestion).digest('base64url').slice(0, 27);
  return `cf:ans:${encodeURIComponent(modelVersion)}:${digest}`;
}

/**
 * What the Kafka admin pool keys its clients by, and which clients it evicts. PURE (clock passed in).
 *
 * A key is the broker set plus the identity of the credentials: two CRs share a client only when
 * they would have opened the very same connection. Secrets (password, CA) enter the key only as a
 * digest, so keys can be logged and kept in memory without holding a credential.
 */
import { createHash } from 'node:crypto';
import type { KafkaConnection } from './credentials.js';

export interface AdminTarget {
  brokers: readonly string[];
  connection?: KafkaConnection | undefined;
}

/** The bootstrap servers sorted and de-duplicated: the same set in any order is one broker set. */
export function brokerSet(brokers: readonly string[]): string {
  return [...new Set(brokers.map((b) => b.trim()).filter((b) => b !== ''))].sort().join(',');
}

function saslField(sasl: object | undefined, field: string): string {
  const value: unknown = sasl && field in sasl ? (sasl as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : '';
}

function caOf(ssl: KafkaConnection['ssl']): string {
  if (typeof ssl !== 'object') return '';
  return (ssl.ca ?? []).join('\n');
}

/**
 * `brokers|tls|mechanism|username|digest`. The digest covers password and CA together (sha256,
 * first 16 hex characters: enough to tell credentials apart, useless to recover them).
 */
export function adminPoolKey(target: AdminTarget): string {
  const { ssl, sasl } = target.connection ?? {};
  const mechanism = sasl?.mechanism ?? 'none';
  const username = saslField(sasl, 'username');
  const digest = createHash('sha256')
    .update(saslField(sasl, 'password'))
    .update('\0')
    .update(caOf(ssl))
    .digest('hex')
    .slice(0, 16);
  return [brokerSet(target.brokers), ssl ? 'tls' : 'plain', mechanism, username, digest].join('|');
}

export interface PoolEntryView {
  key: string;
  /** Leases not yet released. */
  users: number;
  /** Monotonic ms of the last acquire or release. */
  lastUsedMs: number;
}

export interface PoolLimits {
  /** A client nobody used for this long is closed. */
  idleMs: number;
  /** At most this many clients are pooled; the least recently used go first. */
  maxEntries: number;
}

/** Entries idle for idleMs or longer and not in use. */
export function idleVictims(entries: readonly PoolEntryView[], nowMs: number, limits: PoolLimits): string[] {
  return entries.filter((e) => e.users === 0 && nowMs - e.lastUsedMs >= limits.idleMs).map((e) => e.key);
}

/**
 * The entries to drop so that one more fits under maxEntries: the least recently used of those
 * nobody holds first, then (only if every entry is in use) the least recently used in use. Leaving
 * the pool never closes a client under its user (the pool defers that to the last release), so a
 * tenant with many broker sets can never grow the pool past the cap.
 */
export function lruVictims(entries: readonly PoolEntryView[], limits: PoolLimits): string[] {
  const excess = entries.length + 1 - Math.max(1, limits.maxEntries);
  if (excess <= 0) return [];
  const inUse = (e: PoolEntryView): number => (e.users > 0 ? 1 : 0);
  const byAge = [...entries].sort((a, b) => inUse(a) - inUse(b) || a.lastUsedMs - b.lastUsedMs);
  return byAge.slice(0, excess).map((e) => e.key);
}

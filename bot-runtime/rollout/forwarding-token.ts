import { randomBytes } from 'node:crypto';
import { secretsEqual } from '../auth/auth.js';
import { withDeadline } from '../redis/deadline.js';
import type { SessionStore } from '../sessions/session-store.js';

/** A wrong token makes a pod re-read the fleet's token at most this often (bounds Redis reads). */
const REFRESH_INTERVAL_MS = 5000;

/**
 * The shared secret that marks a turn as forwarded by another pod of the same fleet. A forwarded
 * turn skips routing and the rate limit (the pod the client reached counted it), so a client must
 * not be able to claim it: the header carries this token, not a flag. The token lives in the
 * fleet's Redis (routing needs Redis anyway): the first pod creates it with SET NX and every pod
 * reads it, so it needs no Secret and works with an external Redis. Whoever can read that Redis
 * can read every session too, so it adds no new trust.
 */
export class ForwardingToken {
  private value: string | undefined;
  private lastReadAt = -Infinity;

  constructor(
    private readonly store: Pick<SessionStore, 'client' | 'keys'>,
    private readonly timeoutMs: number,
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {}

  /** The token to send; undefined while Redis cannot be read (the turn is then served locally). */
  async current(): Promise<string | undefined> {
    if (this.value === undefined) await this.read();
    return this.value;
  }

  /** Whether `presented` is the fleet's token; a mismatch re-reads it (rate-limited) first. */
  async verify(presented: string): Promise<boolean> {
    if (this.value !== undefined && secretsEqual(presented, this.value)) return true;
    if (this.monotonicNow() - this.lastReadAt < REFRESH_INTERVAL_MS) return false;
    await this.read();
    return this.value !== undefined && secretsEqual(presented, this.value);
  }

  private async read(): Promise<void> {
    this.lastReadAt = this.monotonicNow();
    const key = this.store.keys.forwardingToken();
    const { client } = this.store;
    try {
      const token = await withDeadline(
        (async () => {
          await client.set(key, randomBytes(24).toString('base64url'), 'NX');
          return client.get(key);
        })(),
        this.timeoutMs,
        'forwarding_token',
      );
      if (token) this.value = token;
    } catch {
      // unreadable: keep the last known token; the caller serves the turn locally
    }
  }
}

/**
 * The test environment's egress guard (testenv/network.sh) from TypeScript: benchmarks and
 * tests read its counter before and after they run, and fail when anything they did tried to
 * leave the machine for a private address.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../testenv/network.sh', import.meta.url));

/** Packets the guard caught so far, or undefined where it cannot run (not root, no iptables). */
export function egressGuardCount(): number | undefined {
  const out = execFileSync('bash', [script, 'count'], { encoding: 'utf8', timeout: 10_000 }).trim();
  if (out === 'unavailable') return undefined;
  const n = Number(out);
  if (!Number.isInteger(n) || n < 0) throw new Error(`testenv/network.sh count printed "${out}"`);
  return n;
}

/** One line for a report: how many packets tried to leave since `before`; throws when any did. */
export function assertNoEgressSince(before: number | undefined, what: string): string {
  const after = egressGuardCount();
  if (before === undefined || after === undefined) {
    return `egress guard: unavailable here (needs root and iptables); ${what} was not watched`;
  }
  const caught = after - before;
  if (caught !== 0) {
    throw new Error(
      `egress guard: ${caught} packets from ${what} tried to leave this machine for a private address ` +
        `(dropped; see: iptables -t mangle -L CHATFLEET-EGRESS-GUARD -v -n)`,
    );
  }
  return `egress guard: 0 packets to private addresses left the machine during ${what}`;
}

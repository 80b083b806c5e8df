import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { spawnBot, type Child } from './support/child.js';
import { requireEnv } from './support/env.js';

/**
 * Attack: 10k unique messages made of U+FDFA, which NFKD expands 18-fold (3 UTF-8 bytes become
 * 33), sent to a real bot process. Half sit at the raw 4 KiB limit (about 45 KiB once normalised),
 * half just under it once normalised. Before: every one was normalised into a 10,000-entry memo,
 * about 490 MB for the first kind, and a 512 Mi pod died. Now the limit applies after
 * normalisation (413 MESSAGE_TOO_LARGE) and the memo is bounded in bytes.
 */
const MESSAGES = 10_000;
const CONCURRENCY = 16;
const RSS_LIMIT_MIB = 400;

function vmRssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m?.[1]) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]) / 1024;
}

/** Raw: 1362 x U+FDFA = 4086 bytes + " <i>", under MAX_MESSAGE_BYTES; normalised ~45 KiB. */
const atRawLimit = (i: number): string => `${'\uFDFA'.repeat(1362)} ${i}`;
/** 120 x U+FDFA = 360 bytes raw, ~3,960 bytes normalised: under the limit, and memoised. */
const underNormalisedLimit = (i: number): string => `${'\uFDFA'.repeat(120)} ${i}`;

describe('10k NFKD-expanding messages', () => {
  let bot: Child;

  beforeAll(async () => {
    bot = await spawnBot({
      REDIS_URL: requireEnv('REDIS_URL'),
      SESSION_TTL_SECONDS: '60',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
    });
  });
  afterAll(() => {
    if (bot?.proc.exitCode === null) bot.proc.kill('SIGKILL');
  });

  it('keep the RSS of the bot process under 400 MiB; every request gets 2xx or a coded 4xx', async () => {
    // spawnBot runs node on main.ts itself (runtimeCommand), so its pid is the server's.
    const pid = bot.proc.pid!;
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('main.ts');
    let maxRss = vmRssMiB(pid);
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, vmRssMiB(pid))), 100);
    const statuses = new Map<number, number>();
    const badBodies: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < MESSAGES; i = next++) {
        const message = i % 2 === 0 ? atRawLimit(i) : underNormalisedLimit(i);
        const res = await fetch(`${bot.url}/v1/chat`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ message }),
        });
        const body = (await res.json()) as { error?: { code?: unknown } };
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const coded = res.status < 300 || (res.status < 500 && typeof body.error?.code === 'string');
        if (!coded && badBodies.length < 5) badBodies.push(`${res.status} ${JSON.stringify(body)}`);
      }
    };
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      clearInterval(sampler);
    }
    maxRss = Math.max(maxRss, vmRssMiB(pid));
    console.log(`NFKD flood: peak VmRSS ${maxRss.toFixed(0)} MiB; statuses ${JSON.stringify([...statuses])}`);
    expect(badBodies).toEqual([]);
    expect(Object.fromEntries(statuses)).toEqual({ 200: MESSAGES / 2, 413: MESSAGES / 2 });
    expect(maxRss).toBeLessThan(RSS_LIMIT_MIB);
  });
});

import { describe, expect, it } from '@jest/globals';
import { runCli } from '../../operator/cli/main.js';
import { runDashboard } from './main.js';

/** `kubectl chatfleet dashboard` and `npm run dashboard` share the flags; these cases never start a server. */
function io(): {
  out: string[];
  err: string[];
  sleep: () => Promise<void>;
  watchIntervalMs: number;
  watchTimeoutMs: number;
} {
  return { out: [], err: [], sleep: async () => undefined, watchIntervalMs: 1, watchTimeoutMs: 1 };
}

describe('dashboard entry points', () => {
  it.each([
    [['--help'], 0, /Usage: kubectl chatfleet dashboard/],
    [['--port', 'x'], 2, /--port must be 0..65535/],
    [['--namespace', 'NO'], 2, /not a namespace name/],
    [['stray'], 2, /unexpected argument stray/],
  ])('%j → exit %p', async (argv, code, text) => {
    for (const run of [
      (a: string[], o: ReturnType<typeof io>) =>
        runDashboard(a, { out: (t) => o.out.push(t), err: (t) => o.err.push(t) }),
      (a: string[], o: ReturnType<typeof io>) =>
        runCli(['dashboard', ...a], { ...o, out: (t) => o.out.push(t), err: (t) => o.err.push(t) }),
    ]) {
      const o = io();
      await expect(run(argv, o)).resolves.toBe(code);
      expect([...o.out, ...o.err].join('\n')).toMatch(text);
    }
  });

  it('is listed in the kubectl chatfleet help', async () => {
    const o = io();
    await expect(
      runCli(['--help'], { ...o, out: (t) => o.out.push(t), err: (t) => o.err.push(t) }),
    ).resolves.toBe(0);
    expect(o.out.join('\n')).toMatch(/dashboard \[--port N\]/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { RedisDeadlineError, withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('passes a settled result through', async () => {
    await expect(withDeadline(Promise.resolve(7), 1000, 'get')).resolves.toBe(7);
  });

  it('passes a rejection through unchanged', async () => {
    const err = new Error('CLUSTERDOWN');
    await expect(withDeadline(Promise.reject(err), 1000, 'get')).rejects.toBe(err);
  });

  it('rejects a step that never settles with a RedisDeadlineError naming it', async () => {
    const never = new Promise<number>(() => undefined);
    const result = withDeadline(never, 5, 'history');
    await expect(result).rejects.toBeInstanceOf(RedisDeadlineError);
    await expect(result).rejects.toThrow('redis history exceeded 5 ms');
  });
});

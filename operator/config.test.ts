import { describe, expect, it } from '@jest/globals';
import { ConfigError, parseConfig, usage } from './config.js';

describe('parseConfig', () => {
  it('has documented defaults', () => {
    const c = parseConfig([], { POD_NAME: 'op-0' });
    expect(c).toMatchObject({
      watchNamespace: '',
      concurrency: 4,
      leaderElect: true,
      leaseNamespace: 'default',
      leaseName: 'chatfleet-operator',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      identity: 'op-0',
      healthPort: 8081,
    });
  });

  it('lets a flag win over the environment', () => {
    const c = parseConfig(['--concurrency=8', '--leader-elect', 'false'], { CHATFLEET_CONCURRENCY: '2' });
    expect(c.concurrency).toBe(8);
    expect(c.leaderElect).toBe(false);
  });

  it('topic claims live next to the Lease unless told otherwise; deletion waits 5 minutes by default', () => {
    const c = parseConfig([], { POD_NAMESPACE: 'chatfleet-system' });
    expect(c.topicOwnershipNamespace).toBe('chatfleet-system');
    expect(c.topicDeletionTimeoutSeconds).toBe(300);
    const set = parseConfig(['--topic-ownership-namespace=claims', '--topic-deletion-timeout-seconds=20'], {
      CHATFLEET_TOPIC_DELETION_TIMEOUT_SECONDS: '99',
    });
    expect(set).toMatchObject({ topicOwnershipNamespace: 'claims', topicDeletionTimeoutSeconds: 20 });
    expect(
      parseConfig([], { CHATFLEET_TOPIC_DELETION_TIMEOUT_SECONDS: '0' }).topicDeletionTimeoutSeconds,
    ).toBe(0);
    expect(() => parseConfig(['--topic-deletion-timeout-seconds=-1'], {})).toThrow(/>= 0/);
  });

  it('reads POD_NAMESPACE for the lease', () => {
    expect(parseConfig([], { POD_NAMESPACE: 'chatfleet-system' }).leaseNamespace).toBe('chatfleet-system');
  });

  it.each([
    [['--concurrency=0'], /concurrency.*>= 1/],
    [['--concurrency=1.5'], /integer/],
    [['--leader-elect=maybe'], /true or false/],
    [['--nope=1'], /unknown flag --nope/],
    [['stray'], /unexpected argument/],
    [['--lease-duration-seconds=10', '--renew-deadline-seconds=10'], /renew deadline/],
    [['--retry-period-seconds=12'], /retry period/],
  ])('rejects %j', (argv, message) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
    expect(() => parseConfig(argv, {})).toThrow(message);
  });

  it('documents every flag with its env var', () => {
    expect(usage()).toMatch(/--watch-namespace\s+WATCH_NAMESPACE/);
  });
});

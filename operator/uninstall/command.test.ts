import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../config.js';
import { TOPIC_FINALIZER } from '../dataplane/index.js';
import { parseReleaseArgs } from './command.js';
import { withoutOperatorFinalizers } from './release-finalizers.js';

describe('parseReleaseArgs', () => {
  it('defaults: the pod namespace, no Deployment to stop, 120 s', () => {
    expect(parseReleaseArgs([], { POD_NAMESPACE: 'chatfleet-system' })).toEqual({
      operatorNamespace: 'chatfleet-system',
      operatorDeployment: '',
      watchNamespace: '',
      timeoutSeconds: 120,
      logLevel: 'info',
    });
  });

  it('takes the flags the chart passes', () => {
    const args = parseReleaseArgs(
      [
        '--operator-namespace=ops',
        '--operator-deployment=cf-chatfleet',
        '--watch-namespace=',
        '--timeout-seconds=30',
      ],
      {},
    );
    expect(parseReleaseArgs(['--watch-namespace=team-a'], {}).watchNamespace).toBe('team-a');
    expect(args).toMatchObject({
      operatorNamespace: 'ops',
      operatorDeployment: 'cf-chatfleet',
      watchNamespace: '',
      timeoutSeconds: 30,
    });
  });

  it.each([
    [['--timeout-seconds=0'], /timeout-seconds/],
    [['--timeout-seconds=1.5'], /timeout-seconds/],
    [['--timeout-seconds=99999'], /timeout-seconds/],
    [['--bogus=1'], /unknown argument/],
    [['positional'], /unknown argument/],
    [['--operator-deployment=x'], /operator-namespace/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseReleaseArgs(argv, {})).toThrow(ConfigError);
    expect(() => parseReleaseArgs(argv, {})).toThrow(message);
  });
});

describe('withoutOperatorFinalizers', () => {
  it.each<[string[] | undefined, string[] | undefined]>([
    [undefined, undefined],
    [[], undefined],
    [['example.com/other'], undefined],
    [[TOPIC_FINALIZER], []],
    [['example.com/other', TOPIC_FINALIZER], ['example.com/other']],
    [[TOPIC_FINALIZER, 'chatfleet.io/not-ours-yet'], ['chatfleet.io/not-ours-yet']],
  ])('%j -> %j', (finalizers, expected) => {
    expect(withoutOperatorFinalizers(finalizers)).toEqual(expected);
  });
});

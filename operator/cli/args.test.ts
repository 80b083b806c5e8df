import { describe, expect, it } from '@jest/globals';
import { UsageError, parseArgs } from './args.js';

describe('kubectl chatfleet arguments', () => {
  it.each<[string, string[], unknown]>([
    ['status', ['rollout', 'status', 'support'], { kind: 'status', fleet: 'support', watch: false }],
    [
      'status --watch',
      ['rollout', 'status', 'support', '--watch'],
      { kind: 'status', fleet: 'support', watch: true },
    ],
    ['pause', ['rollout', 'pause', 'support'], { kind: 'action', fleet: 'support', verb: 'pause' }],
    ['resume', ['rollout', 'resume', 'support'], { kind: 'action', fleet: 'support', verb: 'resume' }],
    ['promote', ['rollout', 'promote', 'support'], { kind: 'action', fleet: 'support', verb: 'promote' }],
    [
      'promote --full',
      ['rollout', 'promote', '--full', 'support'],
      { kind: 'action', fleet: 'support', verb: 'promote-full' },
    ],
    ['abort', ['rollout', 'abort', 'support'], { kind: 'action', fleet: 'support', verb: 'abort' }],
    ['retry', ['rollout', 'retry', 'support'], { kind: 'action', fleet: 'support', verb: 'retry' }],
    ['get', ['get', 'support'], { kind: 'get', fleet: 'support' }],
    ['help', ['--help'], { kind: 'help' }],
    ['nothing', [], { kind: 'help' }],
  ])('%s', (_what, argv, command) => {
    expect(parseArgs(argv).command).toEqual(command);
  });

  it('takes namespace and context in both spellings', () => {
    expect(parseArgs(['-n', 'team-a', 'get', 'support', '--context', 'prod'])).toEqual({
      command: { kind: 'get', fleet: 'support' },
      namespace: 'team-a',
      context: 'prod',
    });
    expect(parseArgs(['get', 'support', '--namespace=team-b', '--context=dev'])).toMatchObject({
      namespace: 'team-b',
      context: 'dev',
    });
  });

  it.each<[string, string[], RegExp]>([
    ['unknown command', ['delete', 'x'], /unknown command delete/],
    ['unknown rollout verb', ['rollout', 'undo', 'x'], /unknown rollout command undo/],
    ['missing fleet', ['rollout', 'abort'], /name the fleet/],
    ['bad fleet name', ['get', 'Bad_Name'], /not a ChatbotDeployment name/],
    ['too long a name', ['get', 'a'.repeat(64)], /not a ChatbotDeployment name/],
    ['extra argument', ['rollout', 'abort', 'x', 'y'], /unexpected argument y/],
    ['extra argument to get', ['get', 'x', 'y'], /unexpected argument y/],
    ['--full elsewhere', ['rollout', 'abort', 'x', '--full'], /--full goes with rollout promote/],
    ['--watch elsewhere', ['get', 'x', '--watch'], /--watch goes with rollout status/],
    ['flag without value', ['get', 'x', '-n'], /-n needs a value/],
    ['unknown flag', ['get', 'x', '--force'], /unknown flag --force/],
  ])('rejects %s', (_what, argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});

import { describe, expect, it } from '@jest/globals';
import { fleetKey } from './fleet-key.js';

describe('fleetKey', () => {
  it.each([
    ['namespace and name', { namespace: 'team-a', name: 'bot' }, 'team-a/bot'],
    ['no namespace: empty, not "default"', { name: 'bot' }, '/bot'],
    ['no name', { namespace: 'team-a' }, 'team-a/'],
  ])('%s', (_name, metadata, want) => {
    expect(fleetKey({ metadata })).toBe(want);
  });

  it('keeps fleets whose names share a prefix apart', () => {
    expect(fleetKey({ metadata: { namespace: 'ns', name: 'bot' } })).not.toBe(
      fleetKey({ metadata: { namespace: 'ns', name: 'bot-2' } }),
    );
  });
});

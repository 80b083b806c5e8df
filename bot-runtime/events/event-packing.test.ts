import { describe, expect, it } from '@jest/globals';
import { packEvent, unpackEvents } from './event-packing.js';

describe('packed events between the threads', () => {
  it.each([
    ['one plain event', [{ key: 'session-1', value: '{"id":"a"}' }]],
    ['an empty key and value', [{ key: '', value: '' }]],
    [
      'framing characters inside key and value',
      [
        { key: '3,4;', value: '12,7;xx' },
        { key: ';;,,', value: ',' },
      ],
    ],
    ['non-ASCII and lone surrogates', [{ key: 'k\u20ac', value: '\ud83d\ude00 \ud800 \u0000\n' }]],
    ['many events', Array.from({ length: 500 }, (_, i) => ({ key: `s${i % 7}`, value: 'v'.repeat(i) }))],
  ])('%s come back exactly, in order', (_name, events) => {
    const packed = events.map((e) => packEvent(e.key, e.value)).join('');
    expect(unpackEvents(packed)).toEqual(events);
  });

  it('an empty string holds no events', () => {
    expect(unpackEvents('')).toEqual([]);
  });

  it.each([
    ['a header without lengths', ';abc'],
    ['a non-numeric length', 'x,1;ab'],
    ['a missing separator', '1,1ab'],
    ['a value cut short', `${packEvent('k', 'value').slice(0, -1)}`],
  ])('refuses %s', (_name, packed) => {
    expect(() => unpackEvents(packed)).toThrow(/packed events/);
  });
});

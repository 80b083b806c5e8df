import type { OutgoingEvent } from './kafka-worker-protocol.js';

/**
 * How events cross from the reply thread to the Kafka thread: one string per event-loop turn,
 * each event framed as `<key length>,<value length>;<key><value>` (lengths in UTF-16 code units,
 * so any key or value, whatever it contains, comes back exactly). Cloning one string for
 * postMessage is a copy; cloning an array of { key, value } objects walks and tags every one of
 * them, and that cost was paid on the reply thread for every turn. Pure, no I/O.
 */
export function packEvent(key: string, value: string): string {
  return `${key.length},${value.length};${key}${value}`;
}

/** The events of a packed string, in order; throws on a string packEvent did not make. */
export function unpackEvents(packed: string): OutgoingEvent[] {
  const events: OutgoingEvent[] = [];
  let at = 0;
  while (at < packed.length) {
    const comma = packed.indexOf(',', at);
    const semicolon = packed.indexOf(';', comma + 1);
    const keyLength = frameLength(packed, at, comma);
    const valueLength = frameLength(packed, comma + 1, semicolon);
    const keyStart = semicolon + 1;
    const valueStart = keyStart + keyLength;
    const end = valueStart + valueLength;
    if (end > packed.length) throw new Error('packed events: truncated');
    events.push({ key: packed.slice(keyStart, valueStart), value: packed.slice(valueStart, end) });
    at = end;
  }
  return events;
}

function frameLength(packed: string, start: number, end: number): number {
  const digits = end > start ? packed.slice(start, end) : '';
  if (!/^\d{1,9}$/.test(digits)) throw new Error('packed events: bad frame header');
  return Number(digits);
}

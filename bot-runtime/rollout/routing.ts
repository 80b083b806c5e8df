import { Ajv } from 'ajv';
import type { Track } from '../config.js';

export type { Track };

/** The routing object of the rollout contract (ConfigMap `<fleet>-routing`, key `routing.json`). */
export interface Routing {
  /** Increases on every change; the pod reports the applied one as chatfleet_rollout_generation. */
  generation: number;
  stableVersion: string;
  canaryVersion: string | null;
  /** Percent (0..100) of NEW conversations assigned to the canary. */
  canaryWeight: number;
  /** True: canary conversations move to stable at their next turn. */
  aborted: boolean;
}

/** routing.json is a few dozen bytes; anything larger is refused unparsed. */
export const ROUTING_MAX_BYTES = 4096;

/** Model versions are label values (chatfleet.io/model-version). */
const VERSION = { type: 'string', pattern: '^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$' } as const;

export const routingSchema = {
  type: 'object',
  required: ['generation', 'stableVersion', 'canaryVersion', 'canaryWeight', 'aborted'],
  properties: {
    generation: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
    stableVersion: VERSION,
    canaryVersion: { anyOf: [VERSION, { type: 'null' }] },
    canaryWeight: { type: 'number', minimum: 0, maximum: 100 },
    aborted: { type: 'boolean' },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true }).compile<Routing>(routingSchema);

export type ParsedRouting = { ok: true; routing: Routing } | { ok: false; reason: string };

/** Parses untrusted routing.json text: bounded, JSON, schema-checked. Never echoes the content. */
export function parseRouting(text: string): ParsedRouting {
  if (Buffer.byteLength(text, 'utf8') > ROUTING_MAX_BYTES) {
    return { ok: false, reason: `larger than ${ROUTING_MAX_BYTES} bytes` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  if (!validate(doc)) {
    const e = validate.errors?.[0];
    return { ok: false, reason: `schema: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'}` };
  }
  const { generation, stableVersion, canaryVersion, canaryWeight, aborted } = doc;
  return { ok: true, routing: { generation, stableVersion, canaryVersion, canaryWeight, aborted } };
}

/** True while new conversations can go to the canary and canary conversations stay there. */
export function canaryActive(r: Routing): r is Routing & { canaryVersion: string } {
  return r.canaryVersion !== null && !r.aborted;
}

import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { fnv1a32 } from './assignment.js';
import { parseRouting, type Routing } from './routing.js';
import { errorMessage } from '../errors.js';

/** What a routing source reports: the current routing.json text, or that there is none. */
export type RoutingInput =
  { kind: 'text'; text: string } | { kind: 'missing' } | { kind: 'error'; err: unknown };

/**
 * The routing this pod applies. Sources offer what they see (level-based, repeats are free); a
 * missing or invalid object keeps the last good routing (before any: undefined, served locally).
 * Each distinct failure is counted and logged once, never with the offered content.
 */
export class RoutingState {
  private applied: Routing | undefined;
  private lastText: string | undefined;
  private lastFailure: string | undefined;

  constructor(
    private readonly metrics: Pick<Metrics, 'rolloutGeneration' | 'routingReloads'>,
    private readonly log: Logger,
  ) {}

  get current(): Routing | undefined {
    return this.applied;
  }

  offer(input: RoutingInput): void {
    if (input.kind === 'text') return this.offerText(input.text);
    if (input.kind === 'missing')
      return this.fail('missing', 'routing object missing; keeping the last good routing');
    const err = errorMessage(input.err);
    this.fail(`error:${err}`, 'routing source failed; keeping the last good routing', { err });
  }

  private offerText(text: string): void {
    if (text === this.lastText) return;
    const parsed = parseRouting(text);
    if (!parsed.ok) {
      this.fail(
        `invalid:${fnv1a32(Buffer.from(text, 'utf8'))}:${text.length}`,
        'routing object invalid; keeping the last good routing',
        {
          reason: parsed.reason,
          bytes: Buffer.byteLength(text, 'utf8'),
        },
      );
      return;
    }
    this.lastText = text;
    this.lastFailure = undefined;
    this.applied = parsed.routing;
    this.metrics.rolloutGeneration.set(parsed.routing.generation);
    this.metrics.routingReloads.inc({ result: 'ok' });
    this.log.info({ routing: parsed.routing }, 'routing applied');
  }

  private fail(key: string, msg: string, fields: Record<string, unknown> = {}): void {
    if (key === this.lastFailure) return;
    this.lastFailure = key;
    // the next valid text is applied even if it equals the last applied one
    this.lastText = undefined;
    const result = key.slice(0, key.includes(':') ? key.indexOf(':') : key.length);
    this.metrics.routingReloads.inc({ result });
    this.log.warn({ ...fields, generation: this.applied?.generation ?? null }, msg);
  }
}

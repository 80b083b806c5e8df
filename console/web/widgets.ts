import { h } from 'preact';
import type { JSX } from 'preact';
import { formatMs, formatPercentile, marginOf } from '../shared/model.js';

/** Small shared pieces of the pages. Every status is a word (and an icon), with colour only as a hint. */
export function MarginBadge(props: {
  observedMs: number | null;
  targetMs: number | null;
  percentile: number | null;
}): JSX.Element {
  const m = marginOf(props.observedMs, props.targetMs);
  const text = `${formatPercentile(props.percentile)} ${formatMs(props.observedMs)} / target ${formatMs(props.targetMs)}`;
  return h(
    'span',
    { class: `badge margin-${m.level}`, 'data-margin': m.level },
    h('span', { 'aria-hidden': 'true' }, `${m.icon} `),
    text,
    h('span', { class: 'badge-word' }, ` (${m.label})`),
  );
}

export function ReadyBadge(props: { status: string }): JSX.Element {
  const level = props.status === 'True' ? 'ok' : props.status === 'False' ? 'breach' : 'unknown';
  const icon = level === 'ok' ? '✔' : level === 'breach' ? '✖' : '?';
  return h(
    'span',
    { class: `badge margin-${level}` },
    h('span', { 'aria-hidden': 'true' }, `${icon} `),
    props.status,
  );
}

export function fleetHref(ns: string, name: string): string {
  return `#/fleets/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
}

export function orDash(v: string | number | null | undefined): string {
  return v === null || v === undefined || v === '' ? '—' : String(v);
}

import { h } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatCount } from '../shared/model.js';
import type { FleetSummary } from '../shared/model.js';
import { api, subscribe } from './api.js';
import type { FleetList } from './api.js';
import { MarginBadge, ReadyBadge, fleetHref, orDash } from './widgets.js';

const key = (f: { namespace: string; name: string }): string => `${f.namespace}/${f.name}`;

function Row(props: { f: FleetSummary }): JSX.Element {
  const f = props.f;
  const rollout = f.rolloutPhase
    ? `${f.rolloutPhase}${f.canaryWeight !== null ? ` (${f.canaryWeight}%)` : ''}`
    : '—';
  return h(
    'tr',
    { 'data-fleet': key(f) },
    h('th', { scope: 'row' }, h('a', { href: fleetHref(f.namespace, f.name) }, f.name)),
    h('td', null, f.namespace),
    h('td', null, orDash(f.modelVersion)),
    h('td', null, h(ReadyBadge, { status: f.ready })),
    h(
      'td',
      null,
      h(MarginBadge, {
        observedMs: f.observedLatencyMs,
        targetMs: f.sloTargetMs,
        percentile: f.sloPercentile,
      }),
    ),
    h('td', { class: 'num' }, `${formatCount(f.desiredReplicas)} / ${formatCount(f.readyReplicas)}`),
    h('td', null, orDash(f.mode)),
    h('td', null, rollout),
  );
}

export function FleetListPage(): JSX.Element {
  const [list, setList] = useState<FleetList | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    const load = (): void =>
      void api.fleets().then(
        (l) => alive && setList(l),
        (e: unknown) => alive && setError(String(e)),
      );
    load();
    const off = subscribe(
      (m) =>
        setList((prev) => {
          if (!prev || m.kind === 'event') return prev;
          const rest = prev.fleets.filter((f) => key(f) !== (m.kind === 'fleet' ? key(m.fleet) : key(m)));
          const fleets = m.kind === 'fleet' ? [...rest, m.fleet] : rest;
          fleets.sort((a, b) => key(a).localeCompare(key(b)));
          return { ...prev, fleets };
        }),
      load,
    );
    return () => {
      alive = false;
      off();
    };
  }, []);
  if (error) return h('p', { role: 'alert' }, `Could not load the fleets: ${error}`);
  if (!list) return h('p', null, 'Loading fleets…');
  return h(
    'section',
    { 'aria-labelledby': 'fleets-title' },
    h('h1', { id: 'fleets-title' }, 'Fleets'),
    list.error ? h('p', { role: 'alert' }, list.error) : null,
    list.fleets.length === 0
      ? h('p', null, list.synced ? 'No ChatbotDeployments you may see.' : 'Reading ChatbotDeployments…')
      : h(
          'table',
          { class: 'fleets' },
          h('caption', null, `${list.fleets.length} ChatbotDeployment(s), live`),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'Name',
                'Namespace',
                'Model',
                'Ready',
                'Latency vs SLO',
                'Replicas desired / ready',
                'Mode',
                'Rollout (weight)',
              ].map((t) => h('th', { scope: 'col' }, t)),
            ),
          ),
          h(
            'tbody',
            null,
            list.fleets.map((f) => h(Row, { key: key(f), f })),
          ),
        ),
  );
}

import { h } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatCount, formatMs, scaleMarks } from '../shared/model.js';
import type { FleetDetail, FleetEvent, FleetSeries } from '../shared/model.js';
import { RolloutActions } from './actions.js';
import { api, subscribe } from './api.js';
import { Chart } from './chart.js';
import { MarginBadge, ReadyBadge, orDash } from './widgets.js';

const SERIES_REFRESH_MS = 10_000;

type SeriesAnswer = FleetSeries & { error?: string };

function table(
  caption: string,
  headers: string[],
  rows: (string | JSX.Element)[][],
  empty: string,
): JSX.Element {
  if (rows.length === 0) return h('p', null, empty);
  return h(
    'table',
    null,
    h('caption', null, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        h(
          'tr',
          null,
          r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', null, c))),
        ),
      ),
    ),
  );
}

function Conditions(props: { d: FleetDetail }): JSX.Element {
  const rows = props.d.conditions.map((c) => [
    c.type,
    c.status,
    orDash(c.reason),
    orDash(c.message),
    orDash(c.lastTransitionTime),
  ]);
  return h(
    'section',
    { 'aria-labelledby': 'conditions-title', 'data-section': 'conditions' },
    h('h2', { id: 'conditions-title' }, 'Conditions'),
    table(
      'Conditions',
      ['Type', 'Status', 'Reason', 'Message', 'Since'],
      rows,
      'No conditions reported yet.',
    ),
  );
}

function Rollout(props: { d: FleetDetail }): JSX.Element {
  const r = props.d.rollout;
  const step =
    r.currentStepIndex === null
      ? '—'
      : `${r.currentStepIndex + 1}${r.totalSteps !== null ? ` of ${r.totalSteps}` : ''}`;
  const rows = r.analysis.map((a) => [
    a.metric,
    a.verdict,
    formatNum(a.canary),
    formatNum(a.stable),
    orDash(a.reason),
  ]);
  return h(
    'section',
    { 'aria-labelledby': 'rollout-title' },
    h('h2', { id: 'rollout-title' }, 'Rollout'),
    h(RolloutActions, { namespace: props.d.namespace, name: props.d.name }),
    h(
      'dl',
      null,
      ...dl([
        ['Phase', orDash(props.d.rolloutPhase)],
        ['Step', step],
        ['Canary weight', props.d.canaryWeight === null ? '—' : `${props.d.canaryWeight}%`],
        ['Stable / canary version', `${orDash(r.stableVersion)} / ${orDash(r.canaryVersion)}`],
        ['Reason', orDash(r.reason)],
        ['Message', orDash(r.message)],
      ]),
    ),
    table(
      `Last analysis${r.lastAnalysisAt ? ` at ${r.lastAnalysisAt}` : ''}: canary against stable`,
      ['Metric', 'Verdict', 'Canary', 'Stable', 'Reason'],
      rows,
      'No analysis yet.',
    ),
  );
}

function formatNum(v: number | null): string {
  return v === null ? 'no data' : String(Number(v.toPrecision(4)));
}

function dl(pairs: [string, string | JSX.Element][]): JSX.Element[] {
  return pairs.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, v)]);
}

function DataPlane(props: { d: FleetDetail }): JSX.Element {
  const shards = props.d.shards.map((s) => [
    String(s.index),
    s.ready ? '✔ ready' : '✖ not ready',
    orDash(s.primary),
    formatCount(s.replicas),
    orDash(s.slots),
    orDash(s.message),
  ]);
  const topics = props.d.topics.map((t) => [
    t.name,
    t.ready ? '✔ ready' : '✖ not ready',
    formatCount(t.partitions),
    orDash(t.message),
  ]);
  return h(
    'section',
    { 'aria-labelledby': 'dataplane-title' },
    h('h2', { id: 'dataplane-title' }, 'Redis shards and Kafka topics'),
    table(
      'Redis shards',
      ['Shard', 'State', 'Primary', 'Replicas', 'Slots', 'Message'],
      shards,
      'No Redis shards reported.',
    ),
    table('Kafka topics', ['Topic', 'State', 'Partitions', 'Message'], topics, 'No topics reported.'),
  );
}

function Events(props: { events: FleetEvent[] }): JSX.Element {
  const rows = props.events.map((e) => [
    e.time,
    e.type === 'Warning' ? '⚠ Warning' : e.type,
    e.reason,
    e.note,
    String(e.count),
  ]);
  return h(
    'section',
    { 'aria-labelledby': 'events-title', 'data-section': 'events' },
    h('h2', { id: 'events-title' }, 'Recent Events'),
    table('Events, newest first', ['Time', 'Type', 'Reason', 'Message', 'Count'], rows, 'No recent Events.'),
  );
}

/** Where the charts' data came from, and why it fell back or has none. */
function SourceNotes(props: { s: SeriesAnswer | undefined }): JSX.Element[] {
  const s = props.s;
  const source =
    s?.source === 'prometheus'
      ? 'Prometheus'
      : "the fleet's status, sampled by this console since it started";
  const notes: JSX.Element[] = [h('p', { class: 'source' }, `Source: ${source}.`)];
  if (s?.error) notes.push(h('p', { role: 'status' }, `${s.error}; showing the status samples instead.`));
  if (s?.turnsNote)
    notes.push(h('p', { class: 'source', id: 'turns-note' }, `Turns by source: ${s.turnsNote}.`));
  return notes;
}

function Charts(props: { s: SeriesAnswer | undefined; d: FleetDetail; events: FleetEvent[] }): JSX.Element {
  const s = props.s;
  return h(
    'section',
    { 'aria-labelledby': 'metrics-title' },
    h('h2', { id: 'metrics-title' }, 'Metrics'),
    ...SourceNotes({ s }),
    h(Chart, {
      id: 'latency',
      title: `Observed p${props.d.sloPercentile ?? '?'} latency against the SLO target`,
      series: s?.latency ?? [],
      unit: formatMs,
    }),
    h(Chart, {
      id: 'replicas',
      title: 'Replicas: desired and ready',
      series: s?.replicas ?? [],
      marks: scaleMarks(props.events),
      integer: true,
      unit: (v) => String(Math.round(v)),
    }),
    h(Chart, {
      id: 'turns',
      title: 'Turns per second by source',
      series: s?.turns ?? [],
      unit: (v) => `${Number(v.toPrecision(3))}/s`,
    }),
  );
}

function useFleetData(
  ns: string,
  name: string,
): { d?: FleetDetail; events: FleetEvent[]; s?: SeriesAnswer; error?: string } {
  const [d, setD] = useState<FleetDetail | undefined>(undefined);
  const [events, setEvents] = useState<FleetEvent[]>([]);
  const [s, setS] = useState<SeriesAnswer | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    let alive = true;
    const fail = (e: unknown): void => void (alive && setError(String(e)));
    const loadDetail = (): void => void api.detail(ns, name).then((x) => alive && setD(x), fail);
    const loadSeries = (): void =>
      void api.series(ns, name).then(
        (x) => alive && setS(x),
        () => undefined,
      );
    const loadEvents = (): void => void api.events(ns, name).then((x) => alive && setEvents(x.events), fail);
    const loadAll = (): void => {
      loadDetail();
      loadSeries();
      loadEvents();
    };
    loadAll();
    const timer = setInterval(loadSeries, SERIES_REFRESH_MS);
    const off = subscribe((m) => {
      if (m.kind === 'fleet' && m.fleet.namespace === ns && m.fleet.name === name) {
        loadDetail();
        loadSeries();
      } else if (m.kind === 'event' && m.event.namespace === ns && m.event.fleet === name) {
        setEvents((prev) => [m.event, ...prev.filter((e) => e.uid !== m.event.uid)].slice(0, 50));
      } else if (m.kind === 'deleted' && m.namespace === ns && m.name === name) {
        setError(`chatbotdeployment ${ns}/${name} was deleted`);
      }
    }, loadAll);
    return () => {
      alive = false;
      clearInterval(timer);
      off();
    };
  }, [ns, name]);
  return { ...(d ? { d } : {}), events, ...(s ? { s } : {}), ...(error ? { error } : {}) };
}

export function FleetDetailPage(props: { namespace: string; name: string }): JSX.Element {
  const { d, events, s, error } = useFleetData(props.namespace, props.name);
  if (error) return h('p', { role: 'alert' }, error);
  if (!d) return h('p', null, 'Loading the fleet…');
  return h(
    'article',
    { 'aria-labelledby': 'fleet-title' },
    h('p', null, h('a', { href: '#/' }, '← All fleets')),
    h('h1', { id: 'fleet-title' }, `${d.namespace}/${d.name}`),
    h(
      'dl',
      { class: 'facts' },
      ...dl([
        ['Model version', orDash(d.modelVersion)],
        ['Ready', h(ReadyBadge, { status: d.ready })],
        [
          'Latency vs SLO',
          h(MarginBadge, {
            observedMs: d.observedLatencyMs,
            targetMs: d.sloTargetMs,
            percentile: d.sloPercentile,
          }),
        ],
        ['Replicas desired / ready', `${formatCount(d.desiredReplicas)} / ${formatCount(d.readyReplicas)}`],
        ['Autoscaler mode', orDash(d.mode)],
        ['Autoscaler reason', orDash(d.autoscalingReason)],
        ['Last scale', orDash(d.lastScaleTime)],
      ]),
    ),
    h(Conditions, { d }),
    h(Charts, { s, d, events }),
    h(Rollout, { d }),
    h(Events, { events }),
    h(DataPlane, { d }),
  );
}

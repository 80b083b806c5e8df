import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h, render } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { isDnsLabel } from '../shared/model.js';
import { api, onConnection } from './api.js';
import { FleetDetailPage } from './detail.js';
import { FleetListPage } from './list.js';

/** Hash routes: #/ the fleet list, #/fleets/<namespace>/<name> one fleet. */
type Route = { page: 'list' } | { page: 'detail'; namespace: string; name: string } | { page: 'unknown' };

export function routeOf(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts.length === 0) return { page: 'list' };
  const [kind, namespace, name] = parts;
  if (kind === 'fleets' && parts.length === 3 && isDnsLabel(namespace) && isDnsLabel(name)) {
    return { page: 'detail', namespace, name };
  }
  return { page: 'unknown' };
}

/** "read-only", or "actions enabled" when the console runs with --allow-actions. */
function ModeBadge(): JSX.Element {
  const [enabled, setEnabled] = useState(false);
  useEffect(
    () =>
      void api.actions().then(
        (c) => setEnabled(c.enabled),
        () => undefined,
      ),
    [],
  );
  return h(
    'span',
    { class: 'ro', 'data-mode': enabled ? 'actions' : 'read-only' },
    enabled ? 'actions enabled' : 'read-only',
  );
}

/** "live" while the SSE stream is up, "reconnecting…" (announced) while it is down. */
function LiveIndicator(): JSX.Element {
  const [live, setLive] = useState(false);
  useEffect(() => onConnection(setLive), []);
  return h(
    'span',
    { class: live ? 'live on' : 'live off', role: 'status', 'data-live': String(live) },
    live ? '● live' : '○ reconnecting…',
  );
}

function App(): JSX.Element {
  const [route, setRoute] = useState(routeOf(location.hash));
  useEffect(() => {
    const on = (): void => setRoute(routeOf(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    document.title =
      route.page === 'detail' ? `${route.namespace}/${route.name} · Chatfleet` : 'Fleets · Chatfleet';
  }, [route]);
  const page =
    route.page === 'list'
      ? h(FleetListPage, null)
      : route.page === 'detail'
        ? h(FleetDetailPage, {
            key: `${route.namespace}/${route.name}`,
            namespace: route.namespace,
            name: route.name,
          })
        : h('p', { role: 'alert' }, 'No such page. ', h('a', { href: '#/' }, 'All fleets'));
  return h(
    'div',
    null,
    h(
      'header',
      null,
      h('a', { href: '#/', class: 'brand' }, 'Chatfleet console'),
      h(ModeBadge, null),
      h(LiveIndicator, null),
    ),
    h('main', null, page),
  );
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(h(App, null), root);
}

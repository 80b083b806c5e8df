import type { SeriesPoint } from './simulate.js';

/** Hand-written SVG (no dependencies): load, replicas and p95 latency over time, one line per scaler. */
export interface PlotInput {
  title: string;
  subtitle: string;
  sloMs: number;
  runs: { name: string; color: string; series: SeriesPoint[] }[];
}

const WIDTH = 900;
const PANEL_HEIGHT = 170;
const LEFT = 70;
const RIGHT = 150;
const TOP = 40;
const GAP = 40;

interface Panel {
  top: number;
  label: string;
  max: number;
  /** Values above are drawn at the cap (the axis goes a little higher). */
  cap?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

function x(t: number, tMax: number): number {
  return LEFT + (t / tMax) * (WIDTH - LEFT - RIGHT);
}

function y(v: number, panel: Panel): number {
  return panel.top + PANEL_HEIGHT - (Math.min(v, panel.cap ?? panel.max) / panel.max) * PANEL_HEIGHT;
}

function polyline(points: [number, number][], color: string, width = 1.5, dash = ''): string {
  const d = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ');
  const dashAttr = dash === '' ? '' : ` stroke-dasharray="${dash}"`;
  return `<polyline fill="none" stroke="${color}" stroke-width="${width}"${dashAttr} points="${d}"/>`;
}

function axes(panel: Panel, tMax: number, unit: string): string[] {
  const out = [
    `<rect x="${LEFT}" y="${panel.top}" width="${WIDTH - LEFT - RIGHT}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`,
    `<text x="${LEFT - 8}" y="${panel.top - 8}" font-size="13" font-weight="bold">${esc(panel.label)}</text>`,
  ];
  for (const f of [0, 0.5, 1]) {
    const v = panel.max * f;
    out.push(
      `<text x="${LEFT - 6}" y="${y(v, panel) + 4}" font-size="11" text-anchor="end">${Math.round(v)}${unit}</text>`,
    );
  }
  for (let t = 0; t <= tMax; t += 300) {
    const px = x(t, tMax);
    out.push(
      `<line x1="${px}" y1="${panel.top}" x2="${px}" y2="${panel.top + PANEL_HEIGHT}" stroke="#eee"/>`,
    );
  }
  return out;
}

/** A round axis maximum with some headroom above the largest value, so lines do not run on the frame. */
function niceMax(v: number): number {
  const padded = Math.max(v, 1) * 1.15;
  const step = 10 ** Math.floor(Math.log10(padded)) / 2;
  return Math.ceil(padded / step) * step;
}

export function renderPlot(input: PlotInput): string {
  const all = input.runs.flatMap((r) => r.series);
  const tMax = Math.max(...all.map((p) => p.t));
  const load: Panel = {
    top: TOP,
    label: 'load (turns/s)',
    max: niceMax(Math.max(...all.map((p) => p.load))),
  };
  const reps: Panel = {
    top: TOP + PANEL_HEIGHT + GAP,
    label: 'replicas (spec)',
    max: niceMax(Math.max(...all.map((p) => p.replicas))),
  };
  const lat: Panel = {
    top: TOP + 2 * (PANEL_HEIGHT + GAP),
    label: 'p95 latency, 30 s window (ms, capped at 2000)',
    max: 2200,
    cap: 2000,
  };
  const height = lat.top + PANEL_HEIGHT + 50;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="18" font-size="15" font-weight="bold">${esc(input.title)}</text>`,
    `<text x="${WIDTH - RIGHT}" y="18" font-size="11" text-anchor="end" fill="#555">${esc(input.subtitle)}</text>`,
    ...axes(load, tMax, ''),
    ...axes(reps, tMax, ''),
    ...axes(lat, tMax, ''),
  ];
  const first = input.runs[0]?.series ?? [];
  parts.push(
    polyline(
      first.map((p) => [x(p.t, tMax), y(p.load, load)]),
      '#333',
      2,
    ),
  );
  const sloY = y(input.sloMs, lat);
  parts.push(
    `<line x1="${LEFT}" y1="${sloY}" x2="${WIDTH - RIGHT}" y2="${sloY}" stroke="#c00" stroke-dasharray="6 4"/>`,
  );
  parts.push(
    `<text x="${WIDTH - RIGHT + 6}" y="${sloY + 4}" font-size="11" fill="#c00">SLO ${input.sloMs} ms</text>`,
  );
  input.runs.forEach((run, i) => {
    parts.push(
      polyline(
        run.series.map((p) => [x(p.t, tMax), y(p.replicas, reps)]),
        run.color,
      ),
    );
    const latency = run.series
      .filter((p) => p.p95Ms !== null)
      .map((p): [number, number] => [x(p.t, tMax), y(p.p95Ms ?? 0, lat)]);
    parts.push(polyline(latency, run.color));
    const ly = reps.top + 20 + i * 18;
    parts.push(
      `<line x1="${WIDTH - RIGHT + 8}" y1="${ly - 4}" x2="${WIDTH - RIGHT + 28}" y2="${ly - 4}" stroke="${run.color}" stroke-width="3"/>`,
    );
    parts.push(`<text x="${WIDTH - RIGHT + 34}" y="${ly}" font-size="12">${esc(run.name)}</text>`);
  });
  for (let t = 0; t <= tMax; t += 300) {
    parts.push(
      `<text x="${x(t, tMax)}" y="${lat.top + PANEL_HEIGHT + 16}" font-size="11" text-anchor="middle">${t}</text>`,
    );
  }
  parts.push(
    `<text x="${(LEFT + WIDTH - RIGHT) / 2}" y="${lat.top + PANEL_HEIGHT + 36}" font-size="12" text-anchor="middle">time (s)</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

import { h } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { seriesSummary } from '../shared/model.js';
import type { Series } from '../shared/model.js';

/**
 * A uPlot time-series chart with its text summary (min/max/last per series) beside it, for screen
 * readers and for anyone who does not read charts. With no data it says "no data" and draws nothing.
 */
const COLOURS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#57606a'];
const DASHES: (number[] | undefined)[] = [undefined, [6, 4], [2, 3], [8, 3, 2, 3]];

function hasData(series: Series[]): boolean {
  return series.some((s) => s.points.some((p) => p[1] !== null));
}

/** Aligns the series on the union of their timestamps (uPlot wants one x array). */
export function align(series: Series[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const columns = series.map((s) => {
    const byT = new Map(s.points);
    return xs.map((t) => byT.get(t) ?? null);
  });
  return [xs, ...columns];
}

export function Chart(props: {
  title: string;
  series: Series[];
  unit: (v: number) => string;
  id: string;
}): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = props.series.map((s) => s.label).join('|');
  const data = hasData(props.series);
  useEffect(() => {
    if (!box.current || !data) return undefined;
    const opts: uPlot.Options = {
      width: Math.min(720, box.current.clientWidth || 720),
      height: 220,
      series: [
        {},
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: COLOURS[i % COLOURS.length],
          dash: DASHES[i % DASHES.length],
          width: 2,
          value: (_u: uPlot, v: number | null) => (v === null ? 'no data' : props.unit(v)),
        })),
      ],
      axes: [{}, { values: (_u: uPlot, vals: number[]) => vals.map((v) => props.unit(v)), size: 70 }],
    };
    plot.current = new uPlot(opts, align(props.series), box.current);
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels, data]);
  useEffect(() => {
    plot.current?.setData(align(props.series));
  }, [props.series]);
  const summaryId = `${props.id}-summary`;
  return h(
    'figure',
    { class: 'chart', 'aria-labelledby': `${props.id}-title`, 'data-chart': props.id },
    h('figcaption', { id: `${props.id}-title` }, props.title),
    data
      ? h('div', { ref: box, role: 'img', 'aria-describedby': summaryId, class: 'plot' })
      : h('p', { class: 'no-data', 'data-no-data': 'true' }, 'no data'),
    h(
      'ul',
      { id: summaryId, class: 'chart-summary' },
      props.series.length === 0
        ? h('li', null, 'no data')
        : props.series.map((s) => h('li', null, seriesSummary(s, props.unit))),
    ),
  );
}

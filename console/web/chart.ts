import { h } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { seriesSummary } from '../shared/model.js';
import type { Mark, Series } from '../shared/model.js';

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

/** Draws each mark inside the plot area as a dashed vertical line (uPlot draw hook). */
function drawMarks(u: uPlot, marks: Mark[]): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.strokeStyle = '#8250df';
  ctx.setLineDash([4, 4]);
  ctx.lineWidth = 1;
  for (const m of marks) {
    const x = u.valToPos(m.t, 'x', true);
    if (!(x >= bbox.left && x <= bbox.left + bbox.width)) continue;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}

interface ChartProps {
  title: string;
  series: Series[];
  unit: (v: number) => string;
  id: string;
  marks?: Mark[];
  /** Counts (replicas): ticks on whole numbers only. */
  integer?: boolean;
}

function marksText(marks: Mark[]): JSX.Element[] {
  if (marks.length === 0) return [];
  const text = marks.map((m) => `${m.label} at ${new Date(m.t * 1000).toISOString()}`).join('; ');
  return [h('li', { 'data-marks': 'true' }, `Marked (dashed lines): ${text}`)];
}

export function Chart(props: ChartProps): JSX.Element {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const marks = useRef<Mark[]>([]);
  marks.current = props.marks ?? [];
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
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : props.unit(v)),
        })),
      ],
      // Every chart is a non-negative quantity: from 0, so a flat line is not zoomed into noise.
      scales: { y: { range: (_u: uPlot, _min: number, max: number) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {},
        {
          values: (_u: uPlot, vals: number[]) => vals.map((v) => props.unit(v)),
          size: 70,
          ...(props.integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] } : {}),
        },
      ],
      hooks: { draw: [(u: uPlot) => drawMarks(u, marks.current)] },
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
  const marksKey = marks.current.map((m) => `${m.t}:${m.label}`).join('|');
  useEffect(() => {
    // Only repaint (hooks included): redraw()'s defaults would pin the x scale to its old range.
    plot.current?.redraw(false, false);
  }, [marksKey]);
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
      ...marksText(marks.current),
    ),
  );
}

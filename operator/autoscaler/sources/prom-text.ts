/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough for the series the
 * autoscaler reads. Comment and blank lines are skipped; timestamps are ignored.
 */
export interface PromSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(text: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}

/** Parses `a="x",b="y\"z"` starting after `{`; returns the labels and the index after `}`. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start;
  while (i < line.length && line[i] !== '}') {
    const eq = line.indexOf('=', i);
    const key = line.slice(i, eq).trim().replace(/^,/, '').trim();
    let value = '';
    let j = eq + 2; // skip ="
    for (; j < line.length && line[j] !== '"'; j++) {
      const ch = line[j];
      if (ch === '\\') {
        const next = line[++j];
        value += next === 'n' ? '\n' : (next ?? '');
      } else value += ch;
    }
    labels[key] = value;
    i = j + 1;
    while (line[i] === ',' || line[i] === ' ') i++;
  }
  return { labels, end: i + 1 };
}

export function parsePromLine(line: string): PromSeries | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const brace = trimmed.indexOf('{');
  const space = trimmed.indexOf(' ');
  if (brace !== -1 && (space === -1 || brace < space)) {
    const { labels, end } = parseLabels(trimmed, brace + 1);
    const value = trimmed.slice(end).trim().split(/\s+/)[0] ?? '';
    return { name: trimmed.slice(0, brace), labels, value: parseValue(value) };
  }
  const [name = '', value = ''] = trimmed.split(/\s+/);
  return { name, labels: {}, value: parseValue(value) };
}

/** Parses the series whose name is in `names` (all series when omitted). */
export function parsePromText(text: string, names?: ReadonlySet<string>): PromSeries[] {
  const out: PromSeries[] = [];
  for (const line of text.split('\n')) {
    if (names !== undefined && !names.has(line.slice(0, line.search(/[{ ]/)))) continue;
    const series = parsePromLine(line);
    if (series !== null && !Number.isNaN(series.value)) out.push(series);
  }
  return out;
}

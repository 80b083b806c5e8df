/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough for the series the
 * autoscaler reads. The text comes from a pod whose image the tenant chooses, so it is hostile input:
 * - every loop advances its index on every step, so parsing is linear in the input and always ends;
 * - a line that does not follow the grammar is skipped and counted (`malformed`), never guessed at;
 * - nothing throws.
 * Comment lines (`#`, including HELP and TYPE) and blank lines are skipped; timestamps are checked and
 * ignored. Grammar, as in prometheus/common expfmt:
 *   line   = name [ "{" [ label { "," label } [ "," ] ] "}" ] value [ timestamp ]
 *   label  = labelname "=" '"' { char | "\\" | "\"" | "\n" } '"'
 */
export interface PromSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromParse {
  series: PromSeries[];
  /** Lines that were neither a valid sample, a comment nor blank. */
  malformed: number;
}

/** A parsed line: a sample, or null for a comment / blank / filtered-out line; undefined when malformed. */
type LineResult = PromSeries | null | undefined;

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TIMESTAMP = /^-?\d{1,19}$/;
/** A Map, not an object literal: a value token such as `constructor` must not find a prototype member. */
const SPECIAL = new Map<string, number>([
  ['+inf', Infinity],
  ['inf', Infinity],
  ['-inf', -Infinity],
  ['nan', NaN],
]);

/** Cursor over one line. Every method either advances `i` or returns without looping. */
class Scanner {
  i = 0;
  constructor(readonly s: string) {}

  peek(): string | undefined {
    return this.s[this.i];
  }

  skipBlanks(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** An identifier whose first char matches `start` and the rest `rest`; '' when there is none. */
  ident(start: RegExp, rest: RegExp): string {
    const from = this.i;
    if (!start.test(this.s[this.i] ?? '')) return '';
    this.i++;
    while (this.i < this.s.length && rest.test(this.s[this.i] as string)) this.i++;
    return this.s.slice(from, this.i);
  }

  /** A run of non-blank characters. */
  token(): string {
    const from = this.i;
    while (this.i < this.s.length && this.s[this.i] !== ' ' && this.s[this.i] !== '\t') this.i++;
    return this.s.slice(from, this.i);
  }

  /** A double-quoted label value after the opening quote; undefined if unterminated or a bad escape. */
  quoted(): string | undefined {
    let out = '';
    let from = this.i;
    while (this.i < this.s.length) {
      const ch = this.s[this.i];
      if (ch === '"') {
        out += this.s.slice(from, this.i++);
        return out;
      }
      if (ch !== '\\') {
        this.i++;
        continue;
      }
      const next = this.s[this.i + 1];
      const unescaped = next === 'n' ? '\n' : next === '\\' || next === '"' ? next : undefined;
      if (unescaped === undefined) return undefined;
      out += this.s.slice(from, this.i) + unescaped;
      this.i += 2;
      from = this.i;
    }
    return undefined;
  }
}

export function parseValue(text: string): number | undefined {
  const special = text.length <= 4 ? SPECIAL.get(text.toLowerCase()) : undefined;
  if (special !== undefined) return special;
  return FLOAT.test(text) ? Number(text) : undefined;
}

/** One `name="value"` into `labels`; false when malformed or a duplicate name. */
function parseLabel(sc: Scanner, labels: Record<string, string>): boolean {
  const key = sc.ident(LABEL_START, LABEL_CHAR);
  if (key === '' || Object.hasOwn(labels, key)) return false;
  sc.skipBlanks();
  if (sc.peek() !== '=') return false;
  sc.i++;
  sc.skipBlanks();
  if (sc.peek() !== '"') return false;
  sc.i++;
  const value = sc.quoted();
  if (value === undefined) return false;
  labels[key] = value;
  return true;
}

/** The label set after `{`, through `}`; undefined when malformed. */
function parseLabels(sc: Scanner): Record<string, string> | undefined {
  const labels: Record<string, string> = Object.create(null) as Record<string, string>;
  for (;;) {
    sc.skipBlanks();
    if (sc.peek() === '}') break;
    if (!parseLabel(sc, labels)) return undefined;
    sc.skipBlanks();
    if (sc.peek() === ',') sc.i++;
    else if (sc.peek() !== '}') return undefined;
  }
  sc.i++; // the closing brace
  return { ...labels };
}

/**
 * `value [timestamp]` to the end of the line; undefined when malformed. After a name the value must be
 * separated by a blank; after `}` it need not be (expfmt accepts `x{a="1"}1`).
 */
function parseSampleTail(sc: Scanner, needBlank: boolean): number | undefined {
  const before = sc.i;
  sc.skipBlanks();
  if (needBlank && sc.i === before) return undefined;
  const value = parseValue(sc.token());
  if (value === undefined) return undefined;
  sc.skipBlanks();
  if (sc.i < sc.s.length && !TIMESTAMP.test(sc.token())) return undefined;
  sc.skipBlanks();
  return sc.i === sc.s.length ? value : undefined;
}

/** Parses one line; `names` limits the work to the series the caller reads. */
function parseLine(raw: string, names?: ReadonlySet<string>): LineResult {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const sc = new Scanner(line);
  sc.skipBlanks();
  if (sc.i === line.length || sc.peek() === '#') return null;
  const name = sc.ident(NAME_START, NAME_CHAR);
  if (name === '') return undefined;
  if (names !== undefined && !names.has(name)) return null;
  let labels: Record<string, string> = {};
  const afterName = sc.i;
  sc.skipBlanks(); // expfmt allows `x {a="1"} 1`
  const braced = sc.peek() === '{';
  if (!braced) sc.i = afterName;
  if (braced) {
    sc.i++;
    const parsed = parseLabels(sc);
    if (parsed === undefined) return undefined;
    labels = parsed;
  }
  const value = parseSampleTail(sc, !braced);
  return value === undefined ? undefined : { name, labels, value };
}

/** Parses one line: the sample, null for a comment or blank line, undefined when malformed. */
export function parsePromLine(line: string): PromSeries | null | undefined {
  return parseLine(line);
}

/**
 * Parses the series whose name is in `names` (all series when omitted). Lines of other series are
 * skipped once their name is read; NaN samples are dropped (a NaN gauge must not poison a sum).
 */
export function parsePromText(text: string, names?: ReadonlySet<string>): PromParse {
  const series: PromSeries[] = [];
  let malformed = 0;
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const result = parseLine(text.slice(start, end), names);
    if (result === undefined) malformed++;
    else if (result !== null && !Number.isNaN(result.value)) series.push(result);
    start = end + 1;
  }
  return { series, malformed };
}

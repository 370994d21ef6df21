// PromQL text building. Label values come from plans and route names, so they are always quoted
// and escaped here rather than interpolated by hand at each call site.

export type MatchOp = '=' | '!=' | '=~' | '!~';
export type Matcher = [label: string, op: MatchOp, value: string];

const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A PromQL double-quoted string literal (Go escaping rules: backslash, quote, newline). */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r')}"`;
}

/** metric{label="value",...}; label names are checked because they cannot be quoted. */
export function selector(metric: string, matchers: Matcher[]): string {
  const parts = matchers.map(([label, op, value]) => {
    if (!LABEL_NAME.test(label)) throw new Error(`invalid Prometheus label name: ${JSON.stringify(label)}`);
    return `${label}${op}${quote(value)}`;
  });
  return `${metric}{${parts.join(',')}}`;
}

/** A range like [600s]; whole seconds because windows are judged at second resolution. */
export function range(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1)
    throw new RangeError(`range must be a whole number of seconds ≥ 1, got ${seconds}`);
  return `[${seconds}s]`;
}

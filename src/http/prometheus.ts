/**
 * The Prometheus text exposition format, version 0.0.4: enough of it for counters and
 * gauges (https://prometheus.io/docs/instrumenting/exposition_formats/).
 */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One time series of a counter: hot paths keep a reference and add to `value`. */
export interface Series {
  value: number;
}

/** A counter with labels. Each label set is made once; after that, counting allocates nothing. */
export class Counter {
  private readonly all = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly string[] = [],
  ) {}

  /** The series for these label values (in the order of the label names), made on first use. */
  series(...values: string[]): Series {
    const labels = this.labelNames.map((name, i) => `${name}="${escapeLabelValue(values[i] ?? '')}"`).join(',');
    let series = this.all.get(labels);
    if (!series) {
      series = { value: 0 };
      this.all.set(labels, series);
    }
    return series;
  }

  /** The counts so far, by label set: what another process adds to its own (cluster). */
  snapshot(): CounterSnapshot {
    return [...this.all].map(([labels, series]) => [labels, series.value] as const);
  }

  /** The counter as scraped; given snapshots (one per process), their sums by label set. */
  render(parts: readonly CounterSnapshot[] = [this.snapshot()]): string {
    const sums = new Map<string, number>();
    for (const part of parts) for (const [labels, value] of part) sums.set(labels, (sums.get(labels) ?? 0) + value);
    let text = header(this.name, this.help, 'counter');
    for (const [labels, value] of sums) text += `${this.name}${labels === '' ? '' : `{${labels}}`} ${formatValue(value)}\n`;
    return text;
  }
}

/** A counter's series as [rendered label set, value] pairs. */
export type CounterSnapshot = ReadonlyArray<readonly [labels: string, value: number]>;

/** A gauge read when scraped. */
export function renderGauge(name: string, help: string, value: number): string {
  return `${header(name, help, 'gauge')}${name} ${formatValue(value)}\n`;
}

function header(name: string, help: string, type: 'counter' | 'gauge'): string {
  return `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${name} ${type}\n`;
}

/** Label values escape backslash, double quote and line feed. */
function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

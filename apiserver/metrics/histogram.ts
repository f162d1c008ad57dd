/**
 * A Prometheus histogram family: per label tuple, cumulative `_bucket`
 * counts by upper bound `le` (ending in `+Inf`), `_sum` and `_count`.
 */
import { familyHeader, formatLabels, formatValue, labelKey } from './labels.ts';

interface HistogramSeries {
  values: string[];
  /** Per-bucket (non-cumulative) counts; the last slot is `+Inf`. */
  counts: number[];
  sum: number;
  count: number;
}

export class HistogramVec {
  readonly name: string;
  private readonly help: string;
  private readonly labelNames: readonly string[];
  private readonly buckets: readonly number[];
  private readonly series = new Map<string, HistogramSeries>();

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    if (labelNames.includes('le')) throw new Error(`histogram ${name}: "le" is reserved for bucket bounds`);
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]! <= buckets[i - 1]!) throw new Error(`histogram ${name}: buckets must be strictly increasing`);
    }
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.buckets = buckets.filter((b) => b !== Infinity);
  }

  observe(labelValues: readonly string[], value: number): void {
    const key = labelKey(labelValues);
    let s = this.series.get(key);
    if (!s) {
      s = { values: [...labelValues], counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    let i = this.buckets.findIndex((upper) => value <= upper);
    if (i === -1) i = this.buckets.length;
    s.counts[i]!++;
    s.sum += value;
    s.count++;
  }

  render(): string {
    let out = familyHeader(this.name, this.help, 'histogram');
    const bucketLabels = [...this.labelNames, 'le'];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((upper, i) => {
        cumulative += s.counts[i]!;
        out += `${this.name}_bucket${formatLabels(bucketLabels, [...s.values, formatValue(upper)])} ${cumulative}\n`;
      });
      out += `${this.name}_bucket${formatLabels(bucketLabels, [...s.values, '+Inf'])} ${s.count}\n`;
      const labels = formatLabels(this.labelNames, s.values);
      out += `${this.name}_sum${labels} ${formatValue(s.sum)}\n`;
      out += `${this.name}_count${labels} ${s.count}\n`;
    }
    return out;
  }
}

/** A Prometheus counter family: monotonically increasing values per label tuple. */
import { familyHeader, formatLabels, formatValue, labelKey } from './labels.ts';

export class CounterVec {
  readonly name: string;
  private readonly help: string;
  private readonly labelNames: readonly string[];
  private readonly series = new Map<string, { values: string[]; count: number }>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  inc(labelValues: readonly string[], by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    const key = labelKey(labelValues);
    const s = this.series.get(key);
    if (s) s.count += by;
    else this.series.set(key, { values: [...labelValues], count: by });
  }

  render(): string {
    let out = familyHeader(this.name, this.help, 'counter');
    for (const s of this.series.values()) out += `${this.name}${formatLabels(this.labelNames, s.values)} ${formatValue(s.count)}\n`;
    return out;
  }
}

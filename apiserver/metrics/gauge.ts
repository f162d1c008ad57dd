/** A Prometheus gauge family: values per label tuple that go up and down. */
import { familyHeader, formatLabels, formatValue, labelKey } from './labels.ts';

export class GaugeVec {
  readonly name: string;
  private readonly help: string;
  private readonly labelNames: readonly string[];
  private readonly series = new Map<string, { values: string[]; value: number }>();

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  add(labelValues: readonly string[], delta: number): void {
    const key = labelKey(labelValues);
    const s = this.series.get(key);
    if (s) s.value += delta;
    else this.series.set(key, { values: [...labelValues], value: delta });
  }

  set(labelValues: readonly string[], value: number): void {
    this.series.set(labelKey(labelValues), { values: [...labelValues], value });
  }

  render(): string {
    let out = familyHeader(this.name, this.help, 'gauge');
    for (const s of this.series.values()) out += `${this.name}${formatLabels(this.labelNames, s.values)} ${formatValue(s.value)}\n`;
    return out;
  }
}

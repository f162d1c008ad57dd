/**
 * The standard process collector's metrics (as client_golang's
 * process_collector), read from Node at scrape time.
 */
import { familyHeader, formatValue } from './labels.ts';


export function renderProcessMetrics(): string {
  const usage = process.cpuUsage();
  const memory = process.memoryUsage();
  const lines = [
    familyHeader('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', 'counter'),
    `process_cpu_seconds_total ${formatValue((usage.user + usage.system) / 1e6)}\n`,
    familyHeader('process_resident_memory_bytes', 'Resident memory size in bytes.', 'gauge'),
    `process_resident_memory_bytes ${formatValue(memory.rss)}\n`,
    familyHeader('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', 'gauge'),
    `process_start_time_seconds ${formatValue(Math.round(performance.timeOrigin) / 1000)}\n`,
  ];
  return lines.join('');
}

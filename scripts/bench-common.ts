/**
 * Shared by every `pnpm bench` script: the machine line (CPU model, cores, load
 * average, date, Node and OpenSSL versions) and the statistics every published
 * figure uses — the median of paired, interleaved rounds with its range (min–max),
 * never the best round.
 */
import * as os from 'node:os';

/** One line naming the machine, its load and the date. */
export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `machine: ${model}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ${os.platform()} ${os.arch()}; Node ${process.version}, OpenSSL ${process.versions.openssl}; load average ${load}; ${new Date().toISOString()}`;
}

/** The 1-minute load average, for a line printed at the end of a run. */
export function loadLine(): string {
  return `load average at the end: ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (${new Date().toISOString()})`;
}

/** Median, minimum and maximum of some numbers. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/** The median (mean of the middle two for an even count) and the range. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, n: s.length };
}

/** "1.23 (1.10–1.40)", with `digits` decimals and an optional unit after each number. */
export function formatSpread(x: Spread, digits = 2, unit = ''): string {
  const f = (v: number) => `${v.toFixed(digits)}${unit}`;
  return `${f(x.median)} (${f(x.min)}–${f(x.max)})`;
}

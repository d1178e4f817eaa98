// The backtest that chooses the forecast method: replay a synthetic year,
// forecast at many asOf points with every method (each seeing only what was
// observed before its asOf), and score against what happened. Pure: the
// command (server/cli/forecast.ts) prints what this returns.
import { BUCKET_MS } from '../history/buckets.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../zone.ts';
import { forecastLot, forecastMethodNames, type ForecastMethodName } from '../forecast.ts';
import { syntheticYear, type SyntheticLot } from './synthetic.ts';

export const BACKTEST_HORIZONS = [
  { label: '30 min', ms: 30 * MINUTE_MS },
  { label: '2 h', ms: 2 * HOUR_MS },
  { label: '24 h', ms: 24 * HOUR_MS },
  { label: '7 days', ms: 7 * DAY_MS },
] as const;

const BASELINES: readonly ForecastMethodName[] = ['persistence', 'seasonal-naive'];

export interface BacktestOptions {
  seed: number;
  /** Hours between asOf points (not a divisor of a day, so asOf walks round the clock). */
  everyHours?: number;
  /** Days of history before the first asOf. */
  warmupDays?: number;
  days?: number;
  lots?: readonly SyntheticLot[];
  methods?: readonly ForecastMethodName[];
  onProgress?: (done: number, total: number, lotId: string) => void;
}

interface Tally {
  /** Sum of |error| of the occupancy rate, in percentage points, and count (where every method answered). */
  absErr: number;
  /** Forecasts whose 80 % interval held what happened. */
  covered: number;
  scored: number;
  /** Targets with a known outcome, and those this method answered. */
  targets: number;
  answered: number;
}

export interface BacktestResult {
  seed: number;
  methods: ForecastMethodName[];
  asOfCount: number;
  /** [method][horizon] overall, and per lot id. */
  overall: Record<string, Tally[]>;
  byLot: Record<string, Record<string, Tally[]>>;
  lots: SyntheticLot[];
}

const emptyTallies = () => BACKTEST_HORIZONS.map((): Tally => ({ absErr: 0, covered: 0, scored: 0, targets: 0, answered: 0 }));

export function runBacktest(options: BacktestOptions): BacktestResult {
  const methods = [...(options.methods ?? forecastMethodNames)];
  const year = syntheticYear({ seed: options.seed, days: options.days, lots: options.lots });
  const everyMs = (options.everyHours ?? 23) * HOUR_MS;
  const first = year.start + (options.warmupDays ?? 28) * DAY_MS;
  const last = year.start + year.days * DAY_MS - 7 * DAY_MS - BUCKET_MS;
  const overall: Record<string, Tally[]> = Object.fromEntries(methods.map((m) => [m, emptyTallies()]));
  const byLot: BacktestResult['byLot'] = {};
  let asOfCount = 0;
  year.lots.forEach(({ lot, series }, k) => {
    const mine: Record<string, Tally[]> = Object.fromEntries(methods.map((m) => [m, emptyTallies()]));
    byLot[lot.id] = mine;
    for (let asOf = first; asOf <= last; asOf += everyMs) {
      asOfCount++;
      const targets = BACKTEST_HORIZONS.map((h) => asOf + h.ms);
      const forecasts = methods.map((m) => forecastLot(series, asOf, targets, { capacity: lot.capacity, timeZone: year.timeZone }, m));
      targets.forEach((at, j) => {
        const actual = series.occupied[Math.floor((at - series.start) / BUCKET_MS)]!;
        if (Number.isNaN(actual)) return;
        const points = forecasts.map((f) => f.points[j]!);
        const everyone = points.every((p) => p.occupied !== null);
        methods.forEach((m, i) => {
          const p = points[i]!;
          for (const tally of [overall[m]![j]!, mine[m]![j]!]) {
            tally.targets++;
            if (p.occupied === null) continue;
            tally.answered++;
            if (!everyone) continue;
            tally.scored++;
            tally.absErr += (Math.abs(p.occupied - actual) / lot.capacity) * 100;
            const free = lot.capacity - actual;
            if (free >= p.low! - 1e-9 && free <= p.high! + 1e-9) tally.covered++;
          }
        });
      });
    }
    options.onProgress?.(k + 1, year.lots.length, lot.id);
  });
  return { seed: options.seed, methods, asOfCount, overall, byLot, lots: year.lots.map((l) => l.lot) };
}

export const mae = (t: Tally) => (t.scored ? t.absErr / t.scored : NaN);
const coverage = (t: Tally) => (t.scored ? (t.covered / t.scored) * 100 : NaN);
const fmt = (v: number, digits = 1) => (Number.isNaN(v) ? '–' : v.toFixed(digits));

export interface Choice {
  method: ForecastMethodName | null;
  /** Why, in one sentence. */
  why: string;
}

/**
 * The method to use: of those that beat persistence and seasonal-naive at
 * every horizon (lower MAE), the one with the lowest mean MAE; it is also
 * checked against Liipi's at every horizon.
 */
export function chooseMethod(result: BacktestResult): Choice {
  const maes = (m: string) => result.overall[m]!.map(mae);
  const beats = (m: string, other: string) => maes(m).every((v, j) => v < maes(other)[j]!);
  const eligible = result.methods.filter((m) => !BASELINES.includes(m) && BASELINES.every((b) => !result.methods.includes(b) || beats(m, b)));
  if (eligible.length === 0) return { method: null, why: 'no method beats persistence and seasonal-naive at every horizon' };
  const mean = (m: string) => maes(m).reduce((a, b) => a + b, 0) / BACKTEST_HORIZONS.length;
  const best = eligible.reduce((a, b) => (mean(b) < mean(a) ? b : a));
  const vsLiipi = best === 'liipi' || !result.methods.includes('liipi') ? '' : maes(best).every((v, j) => v <= maes('liipi')[j]!)
    ? ', and is at least as good as Liipi at every horizon' : ', but not as good as Liipi at every horizon';
  return { method: best, why: `lowest mean MAE (${fmt(mean(best), 2)} pp) among the methods that beat persistence and seasonal-naive at every horizon${vsLiipi}` };
}

/** The result as Markdown: the overall table, then MAE per scenario. */
export function backtestMarkdown(result: BacktestResult): string {
  const head = BACKTEST_HORIZONS.map((h) => h.label);
  const lines: string[] = [];
  lines.push(`MAE of the occupancy rate (percentage points of capacity; lower is better) and share of outcomes inside the 80 % interval, ${result.lots.length} synthetic lots, ${result.asOfCount} asOf points, seed ${result.seed}. Scored where every method answered; "answered" is the share of targets with a known outcome that the method gave a number for.`);
  lines.push('');
  lines.push(`| method | ${head.map((h) => `MAE ${h}`).join(' | ')} | ${head.map((h) => `cover ${h}`).join(' | ')} | answered |`);
  lines.push(`|---|${head.map(() => '---:').join('|')}|${head.map(() => '---:').join('|')}|---:|`);
  for (const m of result.methods) {
    const t = result.overall[m]!;
    const answered = t.reduce((s, x) => s + x.answered, 0) / Math.max(1, t.reduce((s, x) => s + x.targets, 0));
    lines.push(`| ${m} | ${t.map((x) => fmt(mae(x), 2)).join(' | ')} | ${t.map((x) => `${fmt(coverage(x), 0)} %`).join(' | ')} | ${fmt(answered * 100, 0)} % |`);
  }
  lines.push('');
  lines.push(`MAE per scenario (pp), ${head.join(' / ')}:`);
  lines.push('');
  lines.push(`| lot | scenario | ${result.methods.join(' | ')} |`);
  lines.push(`|---|---|${result.methods.map(() => '---').join('|')}|`);
  for (const lot of result.lots) {
    const cells = result.methods.map((m) => result.byLot[lot.id]![m]!.map((x) => fmt(mae(x))).join(' / '));
    lines.push(`| ${lot.id} | ${lot.scenario} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

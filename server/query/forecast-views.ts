// Forecasts as the API gives them (DESIGN.md §4, §7): a lot's recorded
// history up to asOf — 8 weeks of 5-minute buckets, and the year before from
// the hourly roll-ups for the holidays — into the chosen method, one point
// per step. A forecast for the same lot and the same 5-minute asOf is kept
// for a while (it cannot change until a new bucket ends).
import type { Catalog } from '../catalog/catalog.ts';
import { validationError } from '../domain/errors.ts';
import {
  DEFAULT_FORECAST_METHOD, FORECAST_MAX_AHEAD_MS, FORECAST_STEP_MS, forecastRange, prepareForecast,
  type ForecastMethodName, type ForecastPoint, type ForecastQuery, type PreparedForecast, type Series,
} from '../domain/forecast.ts';
import { BUCKET_MS, bucketStartOf } from '../domain/history.ts';
import { text } from '../domain/messages.ts';
import type { LotMeta } from '../domain/lot.ts';
import { DAY_MS, HOUR_MS } from '../domain/zone.ts';
import type { ForecastLog } from '../history/forecast-log.ts';
import type { HistoryRepository } from '../history/repository.ts';

export interface ForecastViewsOptions {
  history: HistoryRepository;
  catalog: Catalog;
  timeZone: string;
  /** What the service forecast before: the answers say how far off it was. */
  forecastLog?: ForecastLog;
  clock?: () => number;
  method?: ForecastMethodName;
}

/** How far back the measured accuracy looks. */
const ACCURACY_DAYS = 28;

/** What a forecast answer holds before it is turned into JSON. */
export interface ForecastAnswer {
  lotId: string;
  asOf: string;
  method: ForecastMethodName;
  step: ForecastQuery['step'];
  points: (Omit<ForecastPoint, 'at'> & { at: string })[];
  /** The lot's measured accuracy per horizon over the last four weeks before asOf (empty until forecasts made here have come true). */
  accuracy?: { horizon: string; maePct: number; n: number; coverage: number }[];
}

const PROFILE_DAYS = 56;
const YEAR_DAYS = 365;
/** The shortest series a forecast reads (see seriesOf). */
const SERIES_MIN_DAYS = 80;
/** Prepared forecasts kept (the oldest goes first): each holds its lot's series (80 days to a year of 5-minute means, 180 KB to 1 MB). */
const CACHE_SIZE = 64;

export class ForecastViews {
  private readonly clock: () => number;
  /** Prepared forecasts, per lot, capacity and 5-minute asOf (a forecast cannot change before the next bucket ends). */
  private readonly prepared = new Map<string, PreparedForecast>();

  constructor(private readonly options: ForecastViewsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Checks the range (400 naming the field) and gives it with its defaults. */
  range(query: ForecastQuery): { asOf: number; from: number; to: number } {
    const range = forecastRange(query, this.clock());
    if ('asOf' in range && typeof range.asOf === 'number') return range as { asOf: number; from: number; to: number };
    throw validationError(text('query', '查询参数'), Object.fromEntries(Object.entries(range).map(([field, message]) => [field, [message as string]])));
  }

  async lotForecast(lotId: string, query: ForecastQuery): Promise<ForecastAnswer | undefined> {
    const lot = this.options.catalog.get(lotId);
    if (!lot) return undefined;
    const { asOf, from, to } = this.range(query);
    const stepMs = FORECAST_STEP_MS[query.step];
    const targets: number[] = [];
    for (let at = from; at < to; at += stepMs) targets.push(at);
    const [answer, accuracy] = await Promise.all([
      this.forecastAt(lot, asOf, targets, query.step),
      this.options.forecastLog?.accuracy(lot.id, asOf - ACCURACY_DAYS * DAY_MS, asOf) ?? [],
    ]);
    return { ...answer, accuracy: accuracy.map(({ horizonMin, ...a }) => ({ horizon: horizonMin % 1440 === 0 ? `${horizonMin / 1440}d` : horizonMin % 60 === 0 ? `${horizonMin / 60}h` : `${horizonMin}m`, ...a })) };
  }

  /**
   * Forecasts a lot at these times (each meaning the 5-minute bucket that
   * holds it). `keep: false`: a forecast nobody will ask for again (the
   * accuracy log's) is made without taking a place among the kept ones.
   */
  async forecastAt(lot: LotMeta, asOf: number, targets: readonly number[], step: ForecastQuery['step'] = '5m', { keep = true } = {}): Promise<ForecastAnswer> {
    const forecast = await this.preparedFor(lot, asOf, { keep });
    return {
      lotId: lot.id,
      asOf: new Date(asOf).toISOString(),
      method: forecast.method,
      step,
      points: forecast.at(targets).map((p) => ({ ...p, at: new Date(p.at).toISOString() })),
    };
  }

  /**
   * The forecast made at asOf, ready for any target up to 7 days on. The
   * method sees only the buckets that ended by asOf, so every asOf within
   * one 5-minute bucket gets the same one.
   */
  async preparedFor(lot: LotMeta, asOf: number, { keep = true } = {}): Promise<PreparedForecast> {
    const method = this.options.method ?? DEFAULT_FORECAST_METHOD;
    const key = `${lot.id}|${bucketStartOf(asOf)}|${lot.capacity}|${method}`;
    const known = this.prepared.get(key);
    if (known) return known;
    const series = await this.seriesOf(lot, asOf);
    const asOfBucket = bucketStartOf(asOf);
    const prepared = prepareForecast(series, asOfBucket, asOfBucket + BUCKET_MS + FORECAST_MAX_AHEAD_MS, { capacity: lot.capacity, timeZone: this.options.timeZone }, method);
    if (!keep) return prepared;
    if (this.prepared.size >= CACHE_SIZE) this.prepared.delete(this.prepared.keys().next().value!);
    this.prepared.set(key, prepared);
    return prepared;
  }

  /**
   * The lot's observed series up to asOf: 5-minute means of the last 8
   * weeks, and before them each hour's mean in its twelve 5-minute slots
   * (older history, for the holidays' profile).
   */
  private async seriesOf(lot: LotMeta, asOf: number): Promise<Series> {
    const { history } = this.options;
    const end = bucketStartOf(asOf);
    const start = end - YEAR_DAYS * DAY_MS;
    const fineFrom = end - PROFILE_DAYS * DAY_MS;
    const [hourly, fine] = await Promise.all([
      // An hour's mean in each of its slots, as twelve buckets of a twelfth of its sums.
      history.means(lot.id, start, fineFrom, 'history_1h', start, 12),
      history.means(lot.id, fineFrom, end, 'history_5m', start),
    ]);
    // The series starts at the oldest hour read, or 80 days back without any: before that it would be
    // all unknown, and the methods give the same answers from a shorter series as long as it holds the
    // profile's 8 weeks as they stood at its statistics' cut, 3 weeks before asOf (about 1 MB less to fill).
    let first = (end - start) / BUCKET_MS - SERIES_MIN_DAYS * (DAY_MS / BUCKET_MS);
    for (const slot of hourly.slots) first = Math.min(first, Math.max(0, slot));
    const occupied = new Float64Array((end - start) / BUCKET_MS - first).fill(NaN);
    // The hours' slots from fineFrom on have their own buckets.
    const fineFromSlot = (fineFrom - start) / BUCKET_MS;
    for (let k = 0; k < hourly.slots.length; k++) {
      const slot = hourly.slots[k]!;
      for (let i = Math.max(0, slot); i < slot + HOUR_MS / BUCKET_MS && i < fineFromSlot; i++) occupied[i - first] = hourly.means[k]!;
    }
    for (let k = 0; k < fine.slots.length; k++) {
      const slot = fine.slots[k]!;
      if (slot >= first && slot - first < occupied.length) occupied[slot - first] = fine.means[k]!;
    }
    return { start: start + first * BUCKET_MS, occupied };
  }
}

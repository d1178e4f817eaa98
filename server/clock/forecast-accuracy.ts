// Live accuracy (DESIGN.md §7): now and then the service forecasts each lot
// that has history at a few horizons and keeps what it said, so that
// GET /api/lots/{id}/forecast can tell how far off it has been for that lot
// — measured, not assumed. Once across instances (a lease), within a time
// budget per round (forecasting 10,000 lots at once would take minutes of
// CPU), each lot about once an hour at most.
import { FORECAST_HORIZONS_MIN } from '../domain/forecast.ts';
import { bucketStartOf } from '../domain/history.ts';
import { MINUTE_MS } from '../domain/zone.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { ForecastLog, LoggedForecast } from '../history/forecast-log.ts';
import type { HistoryRepository } from '../history/repository.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';
import type { ForecastViews } from '../query/forecast-views.ts';

export interface ForecastAccuracyOptions {
  forecasts: ForecastViews;
  forecastLog: ForecastLog;
  history: HistoryRepository;
  catalog: Catalog;
  store: LiveStore;
  log: Logger;
  instanceId: string;
  clock?: () => number;
  intervalMs?: number;
  /** CPU time a round may spend forecasting. */
  budgetMs?: number;
}

export const ACCURACY_LEASE = 'forecast-accuracy';
const EVERY_MS = 60 * MINUTE_MS;
/** Forecasts kept: the accuracy looks at the last four weeks, and a 7-day forecast is scored a week after it was made. */
const KEEP_MS = 36 * 24 * 60 * MINUTE_MS;

export class ForecastAccuracy {
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(private readonly options: ForecastAccuracyOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 5 * MINUTE_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.options.store.releaseLease(ACCURACY_LEASE, this.options.instanceId).catch(() => {});
  }

  /** One round: returns how many lots' forecasts it logged. */
  tick(): Promise<number> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<number> {
    const { forecasts, forecastLog, history, catalog, store, log } = this.options;
    try {
      if (!(await store.holdLease(ACCURACY_LEASE, this.options.instanceId, 10 * MINUTE_MS))) return 0;
      const now = this.clock();
      const recorded = (await history.recordedLotIds()).filter((id) => catalog.get(id));
      const last = await forecastLog.lastMade(recorded);
      const due = recorded.filter((id) => (last.get(id) ?? -Infinity) <= now - EVERY_MS).sort((a, b) => (last.get(a) ?? 0) - (last.get(b) ?? 0));
      const started = performance.now();
      const rows: LoggedForecast[] = [];
      let done = 0;
      for (const id of due) {
        if (performance.now() - started > (this.options.budgetMs ?? 2000)) break;
        const lot = catalog.get(id)!;
        const targets = FORECAST_HORIZONS_MIN.map((h) => bucketStartOf(now + h * MINUTE_MS));
        const answer = await forecasts.forecastAt(lot, now, targets, '5m', { keep: false });
        answer.points.forEach((p, i) => {
          if (p.occupied === null || p.low === null || p.high === null) return;
          rows.push({ lotId: id, horizonMin: FORECAST_HORIZONS_MIN[i]!, target: targets[i]!, madeAt: now, occupied: p.occupied, low: p.low, high: p.high });
        });
        done++;
      }
      await forecastLog.add(rows);
      await forecastLog.deleteBefore(now - KEEP_MS);
      return done;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'forecast accuracy: could not log forecasts; will try again');
      return 0;
    }
  }
}

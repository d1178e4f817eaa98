// Forecasts for many lots at once, for the search's `arriveAt` (DESIGN.md
// §4): a curve per lot — the next 24 hours of 5-minute forecasts, about
// 3.5 KB — made from the prepared forecast and kept for a quarter of an hour,
// so a search over 10,000 lots reads numbers instead of forecasting each.
// A search makes the curves it lacks within a time budget; a lot left
// without one says so (`reason: not_ready`) and is made in the background.
import type { Catalog } from '../catalog/catalog.ts';
import { BUCKET_MS, bucketStartOf } from '../domain/history.ts';
import type { LotForecast, LotMeta } from '../domain/lot.ts';
import { HOUR_MS, MINUTE_MS } from '../domain/zone.ts';
import type { ForecastViews } from './forecast-views.ts';

/** How far ahead an arrival may be asked for. */
export const ARRIVAL_MAX_AHEAD_MS = 24 * HOUR_MS;
const SLOTS = ARRIVAL_MAX_AHEAD_MS / BUCKET_MS + 2;
/** A curve is remade after this long (the lot's latest data moves the near forecasts). */
const FRESH_MS = 15 * MINUTE_MS;
/** Time a search may spend making curves it lacks. */
const SEARCH_BUDGET_MS = 100;

interface Curve {
  /** First bucket (the one holding asOf). */
  start: number;
  madeAt: number;
  capacity: number;
  free: Float32Array;
  low: Float32Array;
  high: Float32Array;
  /** Why there are no numbers (the whole curve), if so. */
  reason?: string;
}

export class ForecastCurves {
  private readonly clock: () => number;
  private readonly curves = new Map<string, Curve>();
  private readonly queue = new Set<string>();
  private draining = false;

  constructor(private readonly options: { forecasts: ForecastViews; catalog: Catalog; clock?: () => number }) {
    this.clock = options.clock ?? Date.now;
  }

  /** Each lot's forecast for `at` (within 24 h of now), from fresh curves; made now as far as the budget goes, the rest queued. */
  async forecastsAt(lots: readonly LotMeta[], at: number): Promise<Map<string, LotForecast>> {
    const now = this.clock();
    const started = performance.now();
    const found = new Map<string, LotForecast>();
    const iso = new Date(at).toISOString();
    for (const lot of lots) {
      let curve = this.fresh(lot, now);
      if (!curve && performance.now() - started < SEARCH_BUDGET_MS) curve = await this.make(lot, now);
      if (!curve) {
        this.queue.add(lot.id);
        found.set(lot.id, { at: iso, free: null, low: null, high: null, reason: 'not_ready: this lot’s forecast is being made; ask again in a moment' });
        continue;
      }
      found.set(lot.id, this.read(curve, at, iso));
    }
    if (this.queue.size) void this.drain();
    return found;
  }

  private fresh(lot: LotMeta, now: number): Curve | undefined {
    const curve = this.curves.get(lot.id);
    return curve && curve.capacity === lot.capacity && now - curve.madeAt < FRESH_MS && now >= curve.madeAt ? curve : undefined;
  }

  private read(curve: Curve, at: number, iso: string): LotForecast {
    if (curve.reason) return { at: iso, free: null, low: null, high: null, reason: curve.reason };
    const i = Math.floor((at - curve.start) / BUCKET_MS);
    if (i < 0 || i >= curve.free.length || Number.isNaN(curve.free[i]!)) return { at: iso, free: null, low: null, high: null, reason: 'no_forecast: nothing forecast for this time' };
    const r = (v: number) => Math.round(v * 10) / 10;
    return { at: iso, free: r(curve.free[i]!), low: r(curve.low[i]!), high: r(curve.high[i]!) };
  }

  private async make(lot: LotMeta, now: number): Promise<Curve> {
    const prepared = await this.options.forecasts.preparedFor(lot, now);
    const start = bucketStartOf(now);
    const targets = Array.from({ length: SLOTS }, (_, i) => start + i * BUCKET_MS);
    const points = prepared.at(targets);
    const curve: Curve = { start, madeAt: now, capacity: lot.capacity, free: new Float32Array(SLOTS), low: new Float32Array(SLOTS), high: new Float32Array(SLOTS) };
    points.forEach((p, i) => {
      curve.free[i] = p.free ?? NaN;
      curve.low[i] = p.low ?? NaN;
      curve.high[i] = p.high ?? NaN;
    });
    if (points.every((p) => p.free === null)) curve.reason = points.find((p) => p.reason && !p.reason.startsWith('not_after'))?.reason ?? points[0]?.reason ?? 'no_forecast';
    this.curves.set(lot.id, curve);
    return curve;
  }

  /** Makes the queued curves in the background, a lot at a time, yielding between them. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (const id of this.queue) {
        this.queue.delete(id);
        const lot = this.options.catalog.get(id);
        if (lot && !this.fresh(lot, this.clock())) await this.make(lot, this.clock()).catch(() => {});
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  /** Waits until the background work is done (tests). */
  async settled(): Promise<void> {
    while (this.draining || this.queue.size) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

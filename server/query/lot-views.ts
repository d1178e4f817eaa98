// Lots as drivers see them: catalog metadata joined with live state, for the
// HTTP API and the socket snapshots.
import type { Catalog } from '../catalog/catalog.ts';
import { bboxAround, distanceM, inBBox } from '../domain/geo.ts';
import type { LiveState } from '../domain/live.ts';
import { toLotView, type LotMeta, type LotView } from '../domain/lot.ts';
import { matchKeys, matchRank, type MatchKeys } from '../domain/lot-match.ts';
import { hoursAt } from '../domain/opening-hours.ts';
import { MAX_SEARCH_LIMIT, matchesMeta, type LotSearch } from '../domain/search.ts';
import { validationError } from '../domain/errors.ts';
import { BUCKET_MS } from '../domain/history.ts';
import { text } from '../domain/messages.ts';
import { ARRIVAL_MAX_AHEAD_MS, type ForecastCurves } from './forecast-curves.ts';
import type { LiveStore } from '../live/store.ts';
import type { LiveReader } from '../live/feed.ts';

export interface LotViewsOptions {
  catalog: Catalog;
  store: LiveStore;
  /**
   * Where searches and socket snapshots read many lots' live state at once:
   * an in-memory mirror of the store's feed (with Redis), or the store itself.
   */
  bulk?: LiveReader;
  staleAfterS: number;
  /** Time zone of the lots' opening hours; unset: the process's. */
  timeZone?: string;
  /** Forecasts for `arriveAt` searches; unset: arriveAt is refused. */
  arrivals?: ForecastCurves;
  clock?: () => number;
}

export class LotViews {
  private readonly clock: () => number;
  /**
   * What each lot is found by (its names folded, in pinyin): made once per
   * version of a lot. The catalog replaces a lot's object when it changes, so
   * a changed lot is keyed anew and the old keys go with the old object.
   */
  private readonly matchKeys = new WeakMap<LotMeta, MatchKeys>();

  constructor(private readonly options: LotViewsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  view(meta: LotMeta, live: LiveState | null): LotView {
    const now = this.clock();
    // Cached per schedule until its next opening or closing (opening-hours.ts): a map lookup per lot.
    return toLotView(meta, live, now, this.options.staleAfterS, hoursAt(meta.openingHours, now, this.options.timeZone));
  }

  /** Whether the catalog has a lot of this id. */
  has(id: string): boolean {
    return this.options.catalog.get(id) !== undefined;
  }

  private keysOf(meta: LotMeta): MatchKeys {
    let keys = this.matchKeys.get(meta);
    if (!keys) this.matchKeys.set(meta, (keys = matchKeys(meta)));
    return keys;
  }

  /** Makes every lot's search keys now (at start), so the first driver to type does not wait for them. */
  prepareSearch(): void {
    for (const meta of this.options.catalog.all()) this.keysOf(meta);
  }

  async get(id: string): Promise<LotView | undefined> {
    const meta = this.options.catalog.get(id);
    if (!meta) return undefined;
    const live = await this.options.store.getMany([id]);
    return this.view(meta, live.get(id) ?? null);
  }

  /** The lots as the live store has them now (for answers and retained messages). */
  async viewsOf(metas: readonly LotMeta[]): Promise<LotView[]> {
    return this.viewsFrom(this.options.store, metas);
  }

  /** The lots for a socket snapshot: from the mirror of the feed that the pushes after it follow. */
  async snapshot(metas: readonly LotMeta[]): Promise<LotView[]> {
    return this.viewsFrom(this.bulk, metas);
  }

  private get bulk(): LiveReader {
    return this.options.bulk ?? this.options.store;
  }

  private async viewsFrom(reader: LiveReader, metas: readonly LotMeta[]): Promise<LotView[]> {
    const live = await reader.getMany(metas.map((m) => m.id));
    return metas.map((meta) => this.view(meta, live.get(meta.id) ?? null));
  }

  /** Every lot, as the map shows it (for the standard feeds). */
  async all(): Promise<LotView[]> {
    return this.viewsFrom(this.bulk, [...this.options.catalog.all()]);
  }

  /**
   * The lots whose occupancy comes from bay sensors, each with its bays' last
   * states (for NGSI-LD ParkingSpot): `ids` limits it to those lots.
   */
  async withBays(ids?: readonly string[]): Promise<{ lot: LotView; bays: { spaceId: string; occupied: boolean; ts: number }[] }[]> {
    const metas = ids ? ids.map((id) => this.options.catalog.get(id)).filter((m) => m !== undefined) : [...this.options.catalog.all()];
    const live = await this.bulk.getMany(metas.map((m) => m.id));
    const withBays = metas.filter((meta) => live.get(meta.id)?.source === 'bays');
    const bays = await Promise.all(withBays.map((meta) => this.options.store.getBays(meta.id)));
    return withBays.map((meta, i) => ({
      lot: this.view(meta, live.get(meta.id)!),
      bays: [...bays[i]!]
        .map(([spaceId, bay]) => ({ spaceId, occupied: bay.occupied, ts: bay.ts }))
        .sort((a, b) => (a.spaceId < b.spaceId ? -1 : a.spaceId > b.spaceId ? 1 : 0)),
    }));
  }

  /**
   * Lots matching every given filter; with `near`, sorted by distance and each
   * with distanceM. With a text (`q`), the best matches come first (ties: the
   * nearest first with `near`, else by id).
   */
  async search(search: LotSearch): Promise<LotView[]> {
    if (search.arriveAt !== undefined) return this.searchArrival(search, search.arriveAt);
    const { near, radiusM, bbox, minFree, limit, match } = search;
    const circleBox = near && radiusM !== undefined ? bboxAround(near, radiusM) : undefined;
    let candidates: { meta: LotMeta; distance?: number; rank?: number }[] = [];
    for (const meta of this.options.catalog.all()) {
      if (!matchesMeta(meta, search)) continue;
      if (bbox && !inBBox(meta, bbox)) continue;
      if (circleBox && !inBBox(meta, circleBox)) continue;
      const rank = match ? matchRank(this.keysOf(meta), match) : undefined;
      if (match && rank === undefined) continue;
      const distance = near ? distanceM(near, meta) : undefined;
      if (distance !== undefined && radiusM !== undefined && distance > radiusM) continue;
      candidates.push({ meta, distance, rank });
    }
    if (match) candidates.sort((a, b) => a.rank! - b.rank! || (near ? a.distance! - b.distance! : 0) || (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
    else if (near) candidates.sort((a, b) => a.distance! - b.distance!);
    // Without a free-space filter, the limit applies before the live lookup.
    if (minFree === undefined) candidates = candidates.slice(0, limit);

    const live = await this.bulk.getMany(candidates.map((c) => c.meta.id));
    const views: LotView[] = [];
    for (const { meta, distance } of candidates) {
      const view = this.view(meta, live.get(meta.id) ?? null);
      if (minFree !== undefined && !(view.free !== null && view.free >= minFree && view.availability !== 'closed' && !view.stale)) continue;
      if (distance !== undefined) view.distanceM = Math.round(distance);
      views.push(view);
      if (views.length === limit) break;
    }
    return views;
  }

  /**
   * The lots among these that have a forecast now (numbers, not a reason),
   * for the ParkAPI v1 feed's `forecast` flag. Their curves are the search's:
   * a lot whose curve is not made yet is false this time and made in the background.
   */
  async withForecast(views: readonly LotView[]): Promise<Set<string>> {
    const arrivals = this.options.arrivals;
    if (!arrivals) return new Set();
    const metas = views.map((v) => this.options.catalog.get(v.id)).filter((m): m is LotMeta => m !== undefined);
    const found = await arrivals.forecastsAt(metas, this.clock());
    return new Set([...found].filter(([, forecast]) => forecast.free !== null).map(([id]) => id));
  }

  /**
   * A search for an arrival: each lot with the forecast for `arriveAt`
   * (`forecast`, beside its live state); minFree filters on the forecast's
   * free spaces — a lot with no forecast does not pass (unknown is not 0).
   */
  private async searchArrival(search: LotSearch, arriveAt: number): Promise<LotView[]> {
    const arrivals = this.options.arrivals;
    const now = this.clock();
    if (!arrivals) throw validationError('query', { arriveAt: ['forecasts are not available on this service'] });
    if (arriveAt < now - BUCKET_MS || arriveAt > now + ARRIVAL_MAX_AHEAD_MS) {
      throw validationError(text('query', '查询参数'), { arriveAt: [text('must be within the next 24 hours', '应在未来 24 小时之内')] });
    }
    const { minFree, limit } = search;
    const { minFree: _ignored, arriveAt: _arrival, ...plain } = search;
    // The lots as the plain search orders them, before the limit when minFree needs the forecasts.
    const views = await this.search({ ...plain, limit: minFree === undefined ? limit : MAX_SEARCH_LIMIT });
    const forecasts = await arrivals.forecastsAt(views.map((v) => this.options.catalog.get(v.id)!).filter(Boolean), arriveAt);
    const answer: LotView[] = [];
    for (const view of views) {
      const forecast = forecasts.get(view.id);
      if (!forecast) continue;
      if (minFree !== undefined && !(forecast.free !== null && forecast.free >= minFree && view.status === 'open')) continue;
      answer.push({ ...view, forecast });
      if (answer.length === limit) break;
    }
    return answer;
  }
}

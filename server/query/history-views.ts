// A lot's history as the API shows it (DESIGN.md §4, §7): the 5-minute
// buckets the recorder wrote (their hourly roll-ups for what is older than
// the 5-minute retention), plus the provisional part since the lot's last
// sign of life (its value until it turns stale), in points per step.
import type { Catalog } from '../catalog/catalog.ts';
import { validationError } from '../domain/errors.ts';
import { text } from '../domain/messages.ts';
import {
  historyLotOf, historyPoints, mergeBuckets, STEP_MS, tail,
  type Bucket, type ClosedSpans, type HistoryPoint, type HistoryQuery, type RecorderState,
} from '../domain/history.ts';
import type { LotMeta } from '../domain/lot.ts';
import { DAY_MS, HOUR_MS, startOfLocalStep } from '../domain/zone.ts';
import type { HistoryRepository } from '../history/repository.ts';

export interface HistoryViewsOptions {
  history: HistoryRepository;
  catalog: Catalog;
  staleAfterS: number;
  timeZone: string;
  /** HISTORY_RETENTION_DAYS: how far back 5-minute buckets are kept. */
  retentionDays: number;
  clock?: () => number;
}

export interface HistoryAnswer {
  lotId: string;
  from: string;
  to: string;
  step: HistoryQuery['step'];
  points: HistoryPoint[];
}

export class HistoryViews {
  private readonly clock: () => number;
  private readonly closedByHours = new Map<string, ClosedSpans | undefined>();

  constructor(private readonly options: HistoryViewsOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Where 5-minute buckets surely exist from (a day inside the retention, on
   * an hour), and before which the hourly roll-ups are read instead.
   */
  fiveMinuteFrom(now = this.clock()): number {
    return startOfLocalStep(now - (this.options.retentionDays - 1) * DAY_MS, HOUR_MS, this.options.timeZone);
  }

  /** Refuses a step shorter than an hour reaching back past the 5-minute buckets, naming the limit. */
  check(query: HistoryQuery): void {
    if (STEP_MS[query.step] >= HOUR_MS) return;
    const limit = this.fiveMinuteFrom();
    if (query.from < limit) {
      const since = new Date(limit).toISOString();
      const days = this.options.retentionDays;
      throw validationError(text('query', '查询参数'), {
        from: [text(
          `5-minute history is kept ${days} days (HISTORY_RETENTION_DAYS): with step=${query.step}, from must be at or after ${since}; use step=1h or 1d for older history`,
          `5 分钟粒度的历史保留 ${days} 天（HISTORY_RETENTION_DAYS）：step=${query.step} 时 from 不得早于 ${since}；更早的历史请用 step=1h 或 1d`,
        )],
      });
    }
  }

  /** The lot's history, or undefined when there is no such lot. */
  async lotHistory(lotId: string, query: HistoryQuery): Promise<HistoryAnswer | undefined> {
    const lot = this.options.catalog.get(lotId);
    if (!lot) return undefined;
    this.check(query);
    const now = this.clock();
    const [states, stored] = await Promise.all([this.options.history.states([lotId]), this.stored(lot, query.from, query.to, now)]);
    return this.answer(lotId, query, mergeBuckets(...stored, this.tailOf(lot, states.get(lotId), query.from, query.to, now)));
  }

  answer(lotId: string, query: HistoryQuery, buckets: readonly Bucket[]): HistoryAnswer {
    return {
      lotId,
      from: new Date(query.from).toISOString(),
      to: new Date(query.to).toISOString(),
      step: query.step,
      points: historyPoints(buckets, query.from, query.to, query.step, this.options.timeZone),
    };
  }

  /**
   * The lot's buckets in [from, to): hourly roll-ups before fiveMinuteFrom,
   * 5-minute buckets after, and the provisional tail up to now.
   */
  async buckets(lot: LotMeta, from: number, to: number, state?: RecorderState): Promise<Bucket[]> {
    const now = this.clock();
    return mergeBuckets(...(await this.stored(lot, from, to, now)), this.tailOf(lot, state, from, to, now));
  }

  /** The lot's stored buckets in [from, to): hourly roll-ups before fiveMinuteFrom, 5-minute buckets after. */
  private stored(lot: LotMeta, from: number, to: number, now: number): Promise<Bucket[][]> {
    const { history } = this.options;
    const split = Math.min(Math.max(from, this.fiveMinuteFrom(now)), to);
    return Promise.all([
      split > from ? history.buckets(lot.id, from, split, 'history_1h') : [],
      split < to ? history.buckets(lot.id, split, to, 'history_5m') : [],
    ]);
  }

  /** The provisional part since the last sign of life, within [from, to) and up to now. */
  tailOf(lot: LotMeta, state: RecorderState | undefined, from: number, to: number, now = this.clock()): Bucket[] {
    if (!state) return [];
    const lotRules = historyLotOf(lot, this.options.staleAfterS, this.options.timeZone, this.closedByHours);
    return tail(state.history, Math.min(now, to), lotRules).filter((b) => b.start >= from - STEP_MS['5m'] && b.start < to);
  }

  /**
   * Every lot's history (or these lots'), for the dumps: read a few lots at a
   * time (as many as keep about ROWS_AT_ONCE rows in memory) and answered lot
   * by lot, so a year of 10,000 lots is never held at once.
   */
  async *allHistory(query: HistoryQuery, lots: readonly LotMeta[]): AsyncGenerator<HistoryAnswer> {
    this.check(query);
    const { history } = this.options;
    const sorted = [...lots].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const split = Math.min(Math.max(query.from, this.fiveMinuteFrom()), query.to);
    const rowsPerLot = Math.max(1, (split - query.from) / HOUR_MS + (query.to - split) / STEP_MS['5m']);
    const chunk = Math.max(1, Math.min(500, Math.floor(ROWS_AT_ONCE / rowsPerLot)));
    for (let i = 0; i < sorted.length; i += chunk) {
      const group = sorted.slice(i, i + chunk);
      const ids = group.map((lot) => lot.id);
      const [states, hourly, fine] = await Promise.all([
        history.states(ids),
        split > query.from ? history.bucketsOfLots(ids, query.from, split, 'history_1h') : new Map<string, Bucket[]>(),
        split < query.to ? history.bucketsOfLots(ids, split, query.to, 'history_5m') : new Map<string, Bucket[]>(),
      ]);
      for (const lot of group) {
        const buckets = mergeBuckets(hourly.get(lot.id) ?? [], fine.get(lot.id) ?? [], this.tailOf(lot, states.get(lot.id), query.from, query.to));
        yield this.answer(lot.id, query, buckets);
      }
    }
  }
}

/** Bucket rows a dump holds in memory at most (about 100 bytes each). */
const ROWS_AT_ONCE = 200_000;

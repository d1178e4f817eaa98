// The history recorder (DESIGN.md §7, "Recording"): one more subscriber of
// "a lot changed". The live store already wrote each applied change into the
// lot's history log in the same atomic step (so nothing is recorded that was
// not applied, and nothing applied is missed); on a short timer the recorder
// takes the new records of the lots that changed, folds them into 5-minute
// buckets by sensor time (domain/history), and writes the buckets and its
// place in each log to SQL in one transaction per batch — then trims the logs.
//
// With several instances one holds the recorder's lease and records; a
// crash anywhere in between leaves records that are folded again to the same
// buckets (the saved place skips what was taken). The others keep their list
// of changed lots, in case the lease comes to them.
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import {
  emptyRecorderState, foldRecords, historyLotOf, type ClosedSpans, type HistoryLot, type HistoryRecord,
} from '../domain/history.ts';
import type { LotMeta } from '../domain/lot.ts';
import { HOUR_MS, startOfLocalStep } from '../domain/zone.ts';
import type { FoldWrite, HistoryRepository } from '../history/repository.ts';
import { RecorderRaceError } from '../history/repository.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';

export interface HistoryRecorderOptions {
  store: LiveStore;
  catalog: Catalog;
  history: HistoryRepository;
  bus: Bus;
  log: Logger;
  /** STALE_AFTER_S, for lots without their own threshold. */
  staleAfterS: number;
  timeZone: string;
  /** Who holds the lease (unique per instance). */
  instanceId: string;
  clock?: () => number;
  /** How often changed lots are recorded. */
  intervalMs?: number;
}

/** Records read from one lot's log per round; a lot with more is taken again next round. */
const READ_MAX = 5000;
/** Lots folded and written in one transaction. */
const BATCH_LOTS = 500;
export const RECORDER_LEASE = 'history-recorder';
const LEASE_MS = 15_000;
/** Every lot is looked at this often, whatever the feed said (a change announced while this instance was away). */
const SWEEP_MS = 5 * 60_000;

export class HistoryRecorder {
  private readonly clock: () => number;
  private readonly dirty = new Set<string>();
  private readonly closedByHours = new Map<string, ClosedSpans | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private unsubscribe: (() => void)[] = [];
  private leader = false;
  private lastSweep = -Infinity;
  /** The last round could not write (a flush stops trying). */
  private failed = false;

  constructor(private readonly options: HistoryRecorderOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    const { bus } = this.options;
    this.unsubscribe = [
      bus.on('live.changed', (changes) => {
        for (const change of changes) this.dirty.add(change.id);
      }),
      bus.on('live.resync', () => {
        this.lastSweep = -Infinity;
      }),
      bus.on('catalog.changed', async (change, origin) => {
        if (change.kind === 'removed') return void this.dirty.delete(change.lot.id);
        if (change.kind === 'changed' && change.lot.openingHours !== change.previous.openingHours) this.closedByHours.clear();
        // The instance that made the change writes its status record (once).
        if (origin !== 'local' || change.kind !== 'changed' || (change.lot.status === 'open') === (change.previous.status === 'open')) return;
        await this.options.store.noteStatus(change.lot.id, change.lot.status === 'open', this.clock());
        this.dirty.add(change.lot.id);
      }),
    ];
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  /** Stops; `flush`: records what is left first (the embedded store's logs die with the process), as far as it can. */
  async stop(options: { flush?: boolean } = {}): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
    await this.running;
    if (options.flush) await this.flush().catch(() => {});
    if (this.leader) await this.options.store.releaseLease(RECORDER_LEASE, this.options.instanceId).catch(() => {});
  }

  /** One round (the timer's): records what changed, if this instance holds the lease. */
  tick(): Promise<void> {
    if (!this.running) this.running = this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Records until nothing is left (tests, and a stop that wants everything written). */
  async flush(): Promise<void> {
    await this.running;
    this.lastSweep = -Infinity;
    this.failed = false;
    do await this.tick();
    while (this.leader && this.dirty.size > 0 && !this.failed);
  }

  private async round(): Promise<void> {
    const { store, catalog, log } = this.options;
    try {
      this.leader = await store.holdLease(RECORDER_LEASE, this.options.instanceId, LEASE_MS);
    } catch {
      this.leader = false;
    }
    if (!this.leader) return;
    const now = this.clock();
    if (now - this.lastSweep >= SWEEP_MS) {
      for (const id of catalog.ids()) this.dirty.add(id);
      this.lastSweep = now;
    }
    const batch = [...this.dirty].slice(0, BATCH_LOTS);
    if (batch.length === 0) return;
    for (const id of batch) this.dirty.delete(id);
    try {
      await this.record(batch);
    } catch (err) {
      for (const id of batch) this.dirty.add(id);
      this.failed = true;
      if (!(err instanceof RecorderRaceError)) log.warn({ err: (err as Error).message, lots: batch.length }, 'history: could not record; will try again');
    }
  }

  private async record(lotIds: readonly string[]): Promise<void> {
    const { store, catalog, history, timeZone } = this.options;
    const logs = await Promise.all(lotIds.map((id) => store.readHistory(id, READ_MAX)));
    const withRecords = lotIds.filter((id, i) => logs[i]!.length > 0 && catalog.get(id));
    if (withRecords.length === 0) return;
    const recordsOf = new Map(lotIds.map((id, i) => [id, logs[i]!]));
    const saved = await history.loadStates(withRecords);
    const folds: FoldWrite[] = [];
    for (const id of withRecords) {
      const lot = catalog.get(id)!;
      const records = recordsOf.get(id)!;
      const before = saved.get(id);
      const state = before?.state ?? emptyRecorderState(lot.capacity, lot.status === 'open');
      const { state: next, buckets } = foldRecords(state, records, this.historyLot(lot));
      if (next.lost > state.lost) this.options.log.warn({ lotId: id, lost: next.lost - state.lost }, 'history: the lot’s log dropped records the recorder had not taken (a gap)');
      if (records.length === READ_MAX) this.dirty.add(id);
      folds.push({ lotId: id, state: next, version: before?.version ?? null, buckets });
    }
    await history.saveFolds(folds, (ms) => startOfLocalStep(ms, HOUR_MS, timeZone), this.clock());
    // Written: the logs may let go. A trim that fails is harmless (the numbers skip them next time).
    await Promise.allSettled(folds.map((fold) => store.trimHistory(fold.lotId, lastNumber(recordsOf.get(fold.lotId)!))));
  }

  historyLot(lot: LotMeta): HistoryLot {
    return historyLotOf(lot, this.options.staleAfterS, this.options.timeZone, this.closedByHours);
  }
}

const lastNumber = (records: readonly HistoryRecord[]) => records.reduce((n, r) => Math.max(n, r.n), 0);

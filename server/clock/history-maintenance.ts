// History's upkeep (DESIGN.md §7, "Storage"), once across instances (the one
// holding its lease), on a timer: month partitions made ahead (PostgreSQL),
// hours whose 5-minute buckets changed rolled up into hourly buckets, and
// retention — 5-minute buckets older than HISTORY_RETENTION_DAYS and hourly
// ones older than HISTORY_HOURLY_RETENTION_DAYS deleted.
import { DAY_MS } from '../domain/zone.ts';
import type { HistoryRepository } from '../history/repository.ts';
import type { LiveStore } from '../live/store.ts';
import type { Logger } from '../log.ts';

export interface HistoryMaintenanceOptions {
  history: HistoryRepository;
  /** Where the lease is held. */
  store: LiveStore;
  log: Logger;
  instanceId: string;
  retentionDays: number;
  hourlyRetentionDays: number;
  clock?: () => number;
  intervalMs?: number;
}

export const MAINTENANCE_LEASE = 'history-maintenance';
/** An hour is rolled up this long after it ended (late records of its last minutes have come in by then). */
const SETTLE_MS = 10 * 60_000;
/** Hours rolled up per round at most (a backlog is worked off over several rounds). */
const ROLL_UP_BATCH = 5000;

export class HistoryMaintenance {
  private readonly clock: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: HistoryMaintenanceOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs ?? 5 * 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
    await this.options.store.releaseLease(MAINTENANCE_LEASE, this.options.instanceId).catch(() => {});
  }

  /** One round, if this instance holds the lease; returns whether it did the work. */
  async tick(): Promise<boolean> {
    if (this.running) {
      await this.running;
      return false;
    }
    let done = false;
    this.running = this.round().then((did) => void (done = did)).finally(() => (this.running = undefined));
    await this.running;
    return done;
  }

  private async round(): Promise<boolean> {
    const { history, store, log } = this.options;
    try {
      if (!(await store.holdLease(MAINTENANCE_LEASE, this.options.instanceId, 10 * 60_000))) return false;
      const now = this.clock();
      for (const table of ['history_5m', 'history_1h'] as const) await history.partitions.ensure(table, now - DAY_MS, now + 62 * DAY_MS);
      let rolled = 0;
      for (let n = ROLL_UP_BATCH; n === ROLL_UP_BATCH && rolled < 20 * ROLL_UP_BATCH; rolled += n) n = await history.rollUp(now - SETTLE_MS, ROLL_UP_BATCH, now);
      await history.deleteBefore('history_5m', now - this.options.retentionDays * DAY_MS);
      await history.deleteBefore('history_1h', now - this.options.hourlyRetentionDays * DAY_MS);
      if (rolled) log.info({ hours: rolled }, 'history: hours rolled up');
      return true;
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'history: upkeep failed; will try again');
      return false;
    }
  }
}

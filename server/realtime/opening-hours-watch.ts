// Lots open and close by their opening hours with no event to say so: this
// looks every minute and tells realtime which lots flipped, so maps show a
// lot "closed" at closing time, not at its next sensor message.
import type { Catalog } from '../catalog/catalog.ts';
import { isOpenAt } from '../domain/opening-hours.ts';

export interface OpeningHoursWatchOptions {
  catalog: Catalog;
  timeZone: string;
  /** Receives the ids of lots whose open state changed. */
  onFlip: (ids: string[]) => void;
  clock?: () => number;
  intervalMs?: number;
}

export class OpeningHoursWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastOpen = new Map<string, boolean>();

  constructor(private readonly options: OpeningHoursWatchOptions) {}

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Compares each lot's open state with the last look; returns (and reports) the lots that flipped. */
  check(): string[] {
    const now = (this.options.clock ?? Date.now)();
    const flipped: string[] = [];
    const seen = new Set<string>();
    for (const lot of this.options.catalog.all()) {
      if (lot.openingHours === null) continue;
      seen.add(lot.id);
      const open = isOpenAt(lot.openingHours, now, this.options.timeZone);
      const before = this.lastOpen.get(lot.id);
      this.lastOpen.set(lot.id, open);
      if (before !== undefined && before !== open) flipped.push(lot.id);
    }
    for (const id of this.lastOpen.keys()) if (!seen.has(id)) this.lastOpen.delete(id);
    if (flipped.length > 0) this.options.onFlip(flipped);
    return flipped;
  }
}

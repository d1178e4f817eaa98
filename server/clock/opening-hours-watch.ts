// Lots open and close by their opening hours with no event to say so: this
// looks every minute and says on the bus which lots flipped ('hours.flipped'),
// so maps and signs show a lot "closed" at closing time, not at its next
// sensor message.
import type { Bus } from '../bus.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { CatalogChange } from '../domain/changes.ts';
import { isOpenAt } from '../domain/opening-hours.ts';

export interface OpeningHoursWatchOptions {
  catalog: Catalog;
  bus: Bus;
  timeZone: string;
  clock?: () => number;
  intervalMs?: number;
}

export class OpeningHoursWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastOpen = new Map<string, boolean>();
  private unsubscribe: (() => void) | undefined;
  /** A lot added or edited was pushed as it is now: that is the state to compare with next. */
  private readonly onCatalogChange = (change: CatalogChange) => {
    if (change.kind === 'removed' || change.lot.openingHours === null) this.lastOpen.delete(change.lot.id);
    else this.lastOpen.set(change.lot.id, this.isOpen(change.lot.openingHours));
  };

  constructor(private readonly options: OpeningHoursWatchOptions) {}

  start(): void {
    this.unsubscribe = this.options.bus.on('catalog.changed', this.onCatalogChange);
    this.check();
    this.timer = setInterval(() => this.check(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
  }

  private isOpen(openingHours: string): boolean {
    return isOpenAt(openingHours, (this.options.clock ?? Date.now)(), this.options.timeZone);
  }

  /** Compares each lot's open state with the last look; returns (and reports) the lots that flipped. */
  check(): string[] {
    const flipped: string[] = [];
    const seen = new Set<string>();
    for (const lot of this.options.catalog.all()) {
      if (lot.openingHours === null) continue;
      seen.add(lot.id);
      const open = this.isOpen(lot.openingHours);
      const before = this.lastOpen.get(lot.id);
      this.lastOpen.set(lot.id, open);
      if (before !== undefined && before !== open) flipped.push(lot.id);
    }
    for (const id of this.lastOpen.keys()) if (!seen.has(id)) this.lastOpen.delete(id);
    if (flipped.length > 0) this.options.bus.emit('hours.flipped', flipped);
    return flipped;
  }
}

// Live changes, said politely to screen readers: an aria-live="polite"
// region, and the lot the driver is looking at — the open popup's, else the
// list entry with the keyboard focus — said again when what it shows
// changes. Never every push: one lot, and at most one announcement per
// `minGapMs` (a busy lot changes many times a second; the newest state is
// said when the gap is over).

export interface Timers {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

const browserTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};

/** Says texts at most once per `minGapMs`; of those that come meanwhile, only the newest, and never the same text twice running. */
export class Throttle {
  private lastAt = -Infinity;
  private last: string | undefined;
  private pending: string | undefined;
  private timer: unknown;

  constructor(
    private readonly say: (text: string) => void,
    private readonly minGapMs: number,
    private readonly timers: Timers = browserTimers,
  ) {}

  push(text: string): void {
    this.pending = text;
    if (this.timer !== undefined) return;
    const wait = this.lastAt + this.minGapMs - this.timers.now();
    if (wait <= 0) this.flush();
    else this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  /** Forgets what waits (the driver looks elsewhere now). */
  cancel(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    const text = this.pending;
    this.pending = undefined;
    if (text === undefined || text === this.last) return;
    this.last = text;
    this.lastAt = this.timers.now();
    this.say(text);
  }
}

/** The polite live region (visually hidden), added to the page once. */
export function liveRegion(): HTMLElement {
  const region = document.createElement('div');
  region.id = 'live-announcer';
  region.className = 'sr-only';
  region.setAttribute('aria-live', 'polite');
  region.setAttribute('aria-atomic', 'true');
  document.body.append(region);
  return region;
}

/**
 * Which lot the driver is looking at, and what it shows: when a change to it
 * comes (`changed`, with the ids of the lots a frame changed), its new state
 * is announced if it reads differently from what was said or shown.
 */
export class LotAnnouncer {
  private popupLot: string | undefined;
  private focusLot: string | undefined;
  private shown: string | undefined;
  private readonly throttle: Throttle;

  constructor(
    /** What a lot shows now, in words (undefined: the lot is gone). */
    private readonly describe: (id: string) => string | undefined,
    region: HTMLElement,
    minGapMs = 4000,
    timers?: Timers,
  ) {
    this.throttle = new Throttle((text) => (region.textContent = text), minGapMs, timers);
  }

  /** The popup's lot (undefined: no popup open). */
  popup(id: string | undefined): void {
    this.popupLot = id;
    this.look();
  }

  /** The lot whose list entry has the focus (undefined: none). */
  focus(id: string | undefined): void {
    this.focusLot = id;
    this.look();
  }

  /** Lots changed (their ids): the watched one's new state is said, if it reads differently. */
  changed(ids: Iterable<string>): void {
    const watched = this.watched();
    if (watched === undefined) return;
    for (const id of ids) {
      if (id !== watched) continue;
      const text = this.describe(id);
      if (text !== undefined && text !== this.shown) {
        this.shown = text;
        this.throttle.push(text);
      }
      return;
    }
  }

  private watched(): string | undefined {
    return this.popupLot ?? this.focusLot;
  }

  /** Looking at another lot: what it shows is on screen (and read out by the focus), nothing to announce. */
  private look(): void {
    this.throttle.cancel();
    const watched = this.watched();
    this.shown = watched === undefined ? undefined : this.describe(watched);
  }
}

// "Arrive in" on the drivers' map: the driver says when they will get there
// — now, in 15, 30 or 60 minutes, or at a time — and the markers and the list
// switch from live counts to the forecasts for that moment, asked for the
// area on screen (GET /api/lots?bbox=…&arriveAt=…), drawn apart ("≈", their
// own marker style: arrival-display.ts) under a banner that says they are
// forecasts for HH:MM. Live pushes go on updating the lots underneath but
// never replace a forecast on screen; "now" brings the live counts back.
import type L from 'leaflet';
import { bboxContains, snapToGrid, type BBox } from '../../server/domain/geo.ts';
import type { LotForecast, LotView } from '../../server/domain/lot.ts';
import { arrivalShown, nextWallTime } from './arrival-display.ts';
import { clockTime, zoneOr } from './charts/series.ts';
import { el } from './dom.ts';
import { chartStrings, reasonCode } from './i18n-charts.ts';
import type { Lang } from './i18n.ts';
import type { Shown } from './lot-display.ts';

export type ArrivalChoice = { kind: 'now' } | { kind: 'in'; minutes: number } | { kind: 'at'; time: string };

export interface ArrivalOptions {
  map: L.Map;
  /** The map's bounds in WGS-84 (map-coords.ts). */
  bbox(bounds: L.LatLngBounds): BBox;
  /** The service's clock (page-settings.ts). */
  now(): number;
  timeZone: string | undefined;
  /** The choice or the forecasts changed: every lot is to be drawn again (through shown()). */
  changed(): void;
}

/** The area asked for: the view and half its size again on each side, as the live feed's. */
const PAD = 0.5;
/** A lot whose forecast is still being made (`not_ready`) is asked for again after this, a few times. */
const RETRY_MS = 1500;
const MAX_RETRIES = 20;
/** "In N minutes" moves with the clock: the forecasts are asked for again this often (and after a failure). */
const REFRESH_MS = 60_000;
const MOVE_DELAY_MS = 250;

type Load = 'new' | 'refresh' | 'area' | 'retry';

export class Arrival {
  private choice: ArrivalChoice = { kind: 'now' };
  /** The arrival the forecasts shown are for (epoch ms); undefined: live counts. */
  private atMs: number | undefined;
  private readonly forecasts = new Map<string, LotForecast>();
  /** The area the forecasts held cover. */
  private area: BBox | undefined;
  private failed = false;
  private request: AbortController | undefined;
  private retries = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private moveTimer: ReturnType<typeof setTimeout> | undefined;
  private lang: Lang = 'zh';
  private readonly chips: HTMLButtonElement[];
  private readonly time: HTMLInputElement;
  private readonly bannerText = el('span', 'forecast-banner-text');
  private readonly back = el('button', 'forecast-back');

  constructor(
    private readonly root: HTMLElement,
    private readonly banner: HTMLElement,
    private readonly options: ArrivalOptions,
  ) {
    this.chips = [...root.querySelectorAll<HTMLButtonElement>('[data-arrive]')];
    this.time = root.querySelector<HTMLInputElement>('input[type=time]')!;
    for (const chip of this.chips) {
      chip.addEventListener('click', () => {
        const value = chip.dataset.arrive!;
        this.choose(value === 'now' ? { kind: 'now' } : { kind: 'in', minutes: Number(value) });
      });
    }
    this.time.addEventListener('change', () => this.choose(this.time.value ? { kind: 'at', time: this.time.value } : { kind: 'now' }));
    this.bannerText.setAttribute('role', 'status');
    this.back.type = 'button';
    this.back.addEventListener('click', () => this.choose({ kind: 'now' }));
    banner.replaceChildren(this.bannerText, this.back);
    options.map.on('moveend', () => this.moved());
  }

  /** The arrival shown (epoch ms), or undefined while the map shows live counts. */
  get at(): number | undefined {
    return this.atMs;
  }

  /** A lot as the map shows it for the arrival; undefined while it shows live counts. */
  shown(lot: LotView): Shown | undefined {
    if (this.atMs === undefined) return undefined;
    const failed: LotForecast = { at: new Date(this.atMs).toISOString(), free: null, low: null, high: null, reason: 'failed' };
    return arrivalShown(lot, this.forecasts.get(lot.id) ?? (this.failed ? failed : undefined), this.atMs);
  }

  choose(choice: ArrivalChoice): void {
    clearTimeout(this.timer);
    this.request?.abort();
    this.request = undefined;
    this.forecasts.clear();
    this.area = undefined;
    this.failed = false;
    this.retries = 0;
    this.choice = choice;
    this.atMs = this.arrivalOf(choice);
    if (this.atMs === undefined) this.choice = { kind: 'now' };
    else void this.load('new');
    this.render();
    this.options.changed();
  }

  translate(lang: Lang): void {
    this.lang = lang;
    const s = chartStrings(lang);
    this.root.querySelector('.arrival-label')!.textContent = s.arriveLabel;
    for (const chip of this.chips) {
      const value = chip.dataset.arrive!;
      chip.textContent = value === 'now' ? s.arriveNow : `+${value} ${lang === 'zh' ? '分钟' : 'min'}`;
      if (value === 'now') chip.removeAttribute('aria-label');
      else chip.setAttribute('aria-label', s.arriveIn(Number(value)));
    }
    this.root.querySelector('.arrival-at-text')!.textContent = s.arriveAt;
    this.time.setAttribute('aria-label', s.arriveAtLabel);
    this.back.textContent = s.backToLive;
    this.render();
  }

  private arrivalOf(choice: ArrivalChoice): number | undefined {
    const now = this.options.now();
    if (choice.kind === 'in') return now + choice.minutes * 60_000;
    if (choice.kind === 'at') return nextWallTime(choice.time, now, zoneOr(this.options.timeZone));
    return undefined;
  }

  private areaNow(): BBox {
    return this.options.bbox(this.options.map.getBounds());
  }

  private async load(kind: Load): Promise<void> {
    clearTimeout(this.timer);
    if (kind === 'refresh' && this.choice.kind === 'at' && this.atMs !== undefined && this.options.now() >= this.atMs) {
      return this.choose({ kind: 'now' }); // the time chosen has come: live counts are the truth again
    }
    const at = kind === 'refresh' ? this.arrivalOf(this.choice) : this.atMs;
    if (at === undefined) return;
    const area = snapToGrid(this.options.bbox(this.options.map.getBounds().pad(PAD)));
    this.request?.abort();
    const request = (this.request = new AbortController());
    try {
      const params = new URLSearchParams({ bbox: area.join(','), arriveAt: new Date(at).toISOString(), limit: '10000' });
      const res = await fetch(`/api/lots?${params}`, { signal: request.signal, headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(`the search answered ${res.status}`);
      const { lots } = (await res.json()) as { lots: LotView[] };
      if (request !== this.request) return;
      if (kind === 'refresh') this.forecasts.clear();
      for (const lot of lots) if (lot.forecast) this.forecasts.set(lot.id, lot.forecast);
      this.atMs = at;
      this.area = area;
      this.failed = false;
      const making = lots.some((lot) => reasonCode(lot.forecast?.reason) === 'not_ready');
      if (kind !== 'retry') this.retries = 0;
      this.schedule(making && this.retries++ < MAX_RETRIES ? 'retry' : 'refresh');
    } catch {
      if (request !== this.request || request.signal.aborted) return;
      // Offline, or the service failed: "?" with the reason, never the live count; tried again later.
      this.failed = true;
      this.schedule('refresh');
    }
    this.render();
    this.options.changed();
  }

  private schedule(kind: 'retry' | 'refresh'): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.load(kind), kind === 'retry' ? RETRY_MS : REFRESH_MS);
  }

  /** The view moved: forecasts for the new part of it, once it settles. */
  private moved(): void {
    if (this.atMs === undefined) return;
    clearTimeout(this.moveTimer);
    this.moveTimer = setTimeout(() => {
      if (this.atMs !== undefined && this.area && !bboxContains(this.area, this.areaNow())) void this.load('area');
    }, MOVE_DELAY_MS);
  }

  private render(): void {
    const key = this.choice.kind === 'now' ? 'now' : this.choice.kind === 'in' ? String(this.choice.minutes) : undefined;
    for (const chip of this.chips) chip.setAttribute('aria-pressed', String(chip.dataset.arrive === key));
    this.time.classList.toggle('chosen', this.choice.kind === 'at');
    if (this.choice.kind !== 'at' && this.time.value) this.time.value = '';
    this.banner.hidden = this.atMs === undefined;
    document.body.classList.toggle('arriving', this.atMs !== undefined);
    if (this.atMs === undefined) delete this.banner.dataset.at;
    else {
      this.banner.dataset.at = String(this.atMs); // the arrival shown (epoch ms), for tests and styles
      this.bannerText.textContent = chartStrings(this.lang).banner(clockTime(this.atMs, zoneOr(this.options.timeZone)));
    }
  }
}

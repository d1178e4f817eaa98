// The search box over the map: finds lots as the driver types (the API's
// `q` search: Chinese or English name, pinyin full or initials, address) and
// opens the one chosen. An ARIA 1.2 combobox: the input keeps the focus, the
// results are a listbox whose active option is named by aria-activedescendant;
// ↓/↑ move through them (and open the list), Enter chooses, Escape closes the
// list or, closed, empties the box; a status line tells screen readers how
// many were found. Typing is debounced, an older answer never replaces a newer
// one, and nothing is asked while an input method is still composing.
import type { Point } from '../../server/domain/geo.ts';
import type { Availability, LotView } from '../../server/domain/lot.ts';
import { el, setText } from './dom.ts';
import { formatDistance, lotName, t, type Lang } from './i18n.ts';
import { badgeText, type Shown } from './lot-display.ts';

/** How a result shows: a badge (its free spaces, as the map shows them), its name and a second line. */
export interface ResultView {
  badge: string;
  availability: Availability;
  name: string;
  detail: string;
}

/** A result as the map would show its lot: its free spaces (or –), its name, how far it is and its address. */
export function resultView(lot: LotView, shown: Shown, lang: Lang): ResultView {
  const detail = [lot.distanceM === undefined ? '' : formatDistance(lot.distanceM, lang), lot.address ?? ''].filter(Boolean).join(' · ');
  return { badge: badgeText(shown), availability: shown.availability, name: lotName(lot, lang), detail };
}

export interface LotFinderOptions {
  /** Lots matching a query, best first (the request is aborted when the driver types on). */
  find(q: string, signal: AbortSignal): Promise<LotView[]>;
  describe(lot: LotView): ResultView;
  /** The driver chose a lot. */
  choose(lot: LotView): void;
}

const DEBOUNCE_MS = 150;
/** Results shown: a phone's screen of them. */
const RESULTS = 8;

/**
 * Asks the service (GET /api/lots?q=): the best matches first, the nearest
 * to `near` (WGS-84) among equally good ones, with the map's filters.
 */
export async function findLots(q: string, near: Point, features: readonly string[], signal: AbortSignal): Promise<LotView[]> {
  const params = new URLSearchParams({ q, limit: String(RESULTS), near: `${near.lat.toFixed(5)},${near.lon.toFixed(5)}` });
  if (features.length) params.set('features', features.join(','));
  const res = await fetch(`/api/lots?${params}`, { signal, headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`search answered ${res.status}`);
  return ((await res.json()) as { lots: LotView[] }).lots;
}

export class LotFinder {
  private readonly input: HTMLInputElement;
  private readonly listbox: HTMLUListElement;
  private readonly note: HTMLElement;
  private readonly status: HTMLElement;
  private results: LotView[] = [];
  private active = -1;
  private lang: Lang = 'zh';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private request: AbortController | undefined;
  /** The query the results are for. */
  private shownFor = '';
  /** Enter was pressed before the answer for what is typed came: take its best match when it does. */
  private enterPending = false;

  constructor(
    root: HTMLElement,
    private readonly options: LotFinderOptions,
  ) {
    this.input = root.querySelector<HTMLInputElement>('[role="combobox"]')!;
    this.listbox = root.querySelector<HTMLUListElement>('[role="listbox"]')!;
    this.note = root.querySelector<HTMLElement>('.find-note')!;
    this.status = root.querySelector<HTMLElement>('[role="status"]')!;
    this.input.addEventListener('input', (event) => {
      if (!(event as InputEvent).isComposing) this.typed();
    });
    this.input.addEventListener('compositionend', () => this.typed());
    this.input.addEventListener('keydown', (event) => this.key(event));
    this.input.addEventListener('blur', () => this.close());
    this.input.addEventListener('focus', () => {
      if (this.results.length && this.shownFor === this.query()) this.open();
    });
    // Pressing an option must not blur the input before the click chooses it.
    this.listbox.addEventListener('mousedown', (event) => event.preventDefault());
    this.listbox.addEventListener('click', (event) => {
      const option = (event.target as HTMLElement).closest<HTMLElement>('[role="option"]');
      if (option) this.choose(Number(option.dataset.index));
    });
  }

  /** Says everything in a language (and draws the results again in it). */
  label(lang: Lang): void {
    this.lang = lang;
    const s = t(lang);
    this.input.placeholder = s.findPlaceholder;
    this.input.setAttribute('aria-label', s.findLabel);
    this.listbox.setAttribute('aria-label', s.findResultsLabel);
    if (this.results.length) this.render();
  }

  /** The box itself (to give the focus back to it). */
  get field(): HTMLInputElement {
    return this.input;
  }

  private query(): string {
    return this.input.value.trim();
  }

  private typed(): void {
    this.enterPending = false;
    clearTimeout(this.timer);
    this.request?.abort();
    const q = this.query();
    if (!q) {
      this.show([], '');
      return;
    }
    this.timer = setTimeout(() => void this.ask(q), DEBOUNCE_MS);
  }

  private async ask(q: string): Promise<void> {
    this.request?.abort();
    const request = (this.request = new AbortController());
    try {
      const lots = await this.options.find(q, request.signal);
      if (this.request === request) this.show(lots, q);
    } catch (err) {
      if (this.request !== request || (err as Error).name === 'AbortError') return;
      this.show([], q, t(this.lang).findFailed);
    }
  }

  private show(lots: LotView[], q: string, failure?: string): void {
    this.results = lots;
    this.shownFor = q;
    this.active = -1;
    this.render();
    const s = t(this.lang);
    const note = failure ?? (q && !lots.length ? s.findNone(q) : '');
    setText(this.note, note);
    this.note.hidden = !note;
    setText(this.status, note || (lots.length ? s.findResults(lots.length) : ''));
    if (lots.length && document.activeElement === this.input) this.open();
    else this.close();
    if (this.enterPending && q === this.query()) {
      this.enterPending = false;
      if (lots.length) this.choose(0);
    }
  }

  private render(): void {
    const options = this.results.map((lot, index) => {
      const view = this.options.describe(lot);
      const option = el('li', 'find-option');
      option.id = `find-option-${index}`;
      option.setAttribute('role', 'option');
      option.setAttribute('aria-selected', String(index === this.active));
      option.dataset.index = String(index);
      option.dataset.lotId = lot.id;
      const badge = el('span', `badge av-${view.availability}`, view.badge);
      badge.setAttribute('aria-hidden', 'true');
      const text = el('span', 'find-text');
      text.append(el('span', 'find-name', view.name), el('span', 'find-detail', view.detail));
      option.append(badge, text);
      return option;
    });
    this.listbox.replaceChildren(...options);
  }

  private open(): void {
    this.listbox.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  private close(): void {
    this.listbox.hidden = true;
    this.input.setAttribute('aria-expanded', 'false');
    this.activate(-1);
  }

  private get isOpen(): boolean {
    return !this.listbox.hidden;
  }

  private activate(index: number): void {
    this.active = index;
    for (const option of this.listbox.children) option.setAttribute('aria-selected', String(Number((option as HTMLElement).dataset.index) === index));
    const option = index >= 0 ? this.listbox.children[index] : undefined;
    if (option) {
      this.input.setAttribute('aria-activedescendant', option.id);
      option.scrollIntoView({ block: 'nearest' });
    } else this.input.removeAttribute('aria-activedescendant');
  }

  private key(event: KeyboardEvent): void {
    if (event.isComposing) return;
    const count = this.results.length;
    switch (event.key) {
      case 'ArrowDown':
      case 'ArrowUp': {
        if (!count) return;
        event.preventDefault();
        const down = event.key === 'ArrowDown';
        if (!this.isOpen) {
          this.open();
          this.activate(down ? 0 : count - 1);
        } else this.activate(this.active < 0 ? (down ? 0 : count - 1) : (this.active + (down ? 1 : count - 1)) % count);
        return;
      }
      case 'Enter': {
        event.preventDefault();
        // Without a chosen option, Enter takes the best match for what is typed (asked now, if not yet).
        const q = this.query();
        if (this.active >= 0) this.choose(this.active);
        else if (this.shownFor === q) this.choose(0);
        else if (q) {
          this.enterPending = true;
          clearTimeout(this.timer);
          void this.ask(q);
        }
        return;
      }
      case 'Escape': {
        if (this.isOpen) this.close();
        else if (this.input.value) {
          this.input.value = '';
          this.typed();
        } else return;
        // Handled here: the page's Escape (closing a popup) is not meant.
        event.preventDefault();
        event.stopPropagation();
        return;
      }
    }
  }

  private choose(index: number): void {
    const lot = this.results[index];
    if (!lot) return;
    this.close();
    this.options.choose(lot);
  }
}

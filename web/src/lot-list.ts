// The list of nearby lots (the side panel, or the bottom sheet on a phone):
// lots with free spaces first, nearest first, then the rest. Items are kept
// per lot and updated in place, so a push does not steal a keyboard user's
// focus; each item is a button that opens the lot on the map.
import { el, setClass, setText } from './dom.ts';
import { formatDistance, lotName, t, type Lang } from './i18n.ts';
import { badgeText, hasSpace, type Nearby } from './lot-display.ts';

interface Item {
  li: HTMLLIElement;
  name: HTMLElement;
  sub: HTMLElement;
  /** How old a lot's data is, when it shows no live count ("updated 12 min ago"; kept ticking by data-since). */
  since: HTMLElement;
  badge: HTMLElement;
}

export interface LotListOptions {
  onOpen(id: string, item: HTMLElement): void;
  /** What a lot's state is called, in the list's second line. */
  statusText(entry: Nearby): string;
  /** The age of a lot's data, for a lot without a live count (its data time, epoch ms, and the words for it); null: none shown. */
  age?(entry: Nearby): { since: number; text: string } | null;
  /** Whether a lot is among those with room (above the divider); by default, hasSpace. */
  hasRoom?(entry: Nearby): boolean;
}

export class LotList {
  private readonly items = new Map<string, Item>();
  private readonly divider = el('li', 'list-divider');
  private readonly note = el('li', 'list-note');

  constructor(
    private readonly list: HTMLUListElement,
    private readonly options: LotListOptions,
  ) {
  }

  render(nearby: readonly Nearby[], total: number, lang: Lang, emptyText: string): void {
    const s = t(lang);
    const children: HTMLElement[] = [];
    const seen = new Set<string>();
    let dividerPlaced = false;
    nearby.forEach((entry, index) => {
      if (!(this.options.hasRoom?.(entry) ?? hasSpace(entry.shown)) && !dividerPlaced) {
        dividerPlaced = true;
        if (index > 0) {
          setText(this.divider, s.othersTitle);
          children.push(this.divider);
        }
      }
      children.push(this.update(entry, lang).li);
      seen.add(entry.lot.id);
    });
    if (nearby.length === 0) {
      setText(this.note, emptyText);
      children.push(this.note);
    } else if (total > nearby.length) {
      setText(this.note, s.moreLots(total - nearby.length));
      children.push(this.note);
    }
    for (const id of this.items.keys()) if (!seen.has(id)) this.items.delete(id);

    const current = this.list.children;
    const same = current.length === children.length && children.every((child, i) => current[i] === child);
    if (same) return;
    // Reordering detaches the focused item; give the focus back where it was.
    const focused = document.activeElement instanceof HTMLElement && this.list.contains(document.activeElement) ? document.activeElement : null;
    this.list.replaceChildren(...children);
    if (focused?.isConnected) focused.focus({ preventScroll: true });
  }

  private update(entry: Nearby, lang: Lang): Item {
    const { lot, shown } = entry;
    let item = this.items.get(lot.id);
    if (!item) {
      item = this.create(lot.id);
      this.items.set(lot.id, item);
    }
    setText(item.name, lotName(lot, lang));
    setText(item.sub, `${this.options.statusText(entry)} · ${formatDistance(entry.distanceM, lang)}`);
    const age = this.options.age?.(entry) ?? null;
    item.since.hidden = age === null;
    if (age) {
      if (item.since.dataset.since !== String(age.since)) item.since.dataset.since = String(age.since);
      setText(item.since, age.text);
    } else delete item.since.dataset.since;
    setClass(item.badge, `badge free av-${shown.availability}${shown.forecast ? ' forecast' : ''}`);
    setText(item.badge, badgeText(shown));
    return item;
  }

  private create(id: string): Item {
    const li = el('li', 'lot-item');
    li.dataset.lotId = id;
    const button = el('button', 'lot-open');
    button.type = 'button';
    const text = el('span', 'lot-text');
    const name = el('span', 'name');
    const sub = el('span', 'sub');
    const since = el('span', 'since');
    since.hidden = true;
    text.append(name, sub, since);
    const badge = el('span', 'badge free');
    button.append(text, badge);
    button.addEventListener('click', () => this.options.onOpen(id, button));
    li.append(button);
    return { li, name, sub, since, badge };
  }
}

// A lot's own link, and sharing it. The canonical link is /lots/{id}; the
// map also opens /?lot={id} (a form some apps keep better). A popup's share
// button hands the link to the system's share sheet (the Web Share API)
// where there is one, else copies it; where copying is refused too (an
// insecure origin), it shows the link, selected, to copy by hand.
import type { LotView } from '../../server/domain/lot.ts';
import { el } from './dom.ts';
import { lotName, t, type Lang } from './i18n.ts';

const LOT_PATH = /^\/lots\/([^/]+)\/?$/;

/** The lot a page's address opens (/lots/{id} or ?lot={id}), if any. */
export function linkedLotId(location: Pick<Location, 'pathname' | 'search'>): string | undefined {
  const path = LOT_PATH.exec(location.pathname);
  let id: string | null = null;
  if (path) {
    try {
      id = decodeURIComponent(path[1]!);
    } catch {
      id = path[1]!; // not decodable: kept as written, and no lot has that id
    }
  } else id = new URLSearchParams(location.search).get('lot');
  id = id?.trim() ?? '';
  return id === '' ? undefined : id;
}

/** A lot's canonical link. */
export function lotLink(id: string, origin: string): string {
  return `${origin}/lots/${encodeURIComponent(id)}`;
}

/** Asks the service for the lot a link names: the lot, 'missing' (no such lot), or undefined (no answer: offline, say). */
export async function fetchLinkedLot(id: string): Promise<LotView | 'missing' | undefined> {
  try {
    const res = await fetch(`/api/lots/${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } });
    if (res.status === 404) return 'missing';
    return res.ok ? ((await res.json()) as LotView) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the last share of a lot said ("link copied"), so the popup, which is
 * drawn again at every push, still says it.
 */
let said: { id: string; text: string; showLink: boolean } | undefined;

function linkField(box: HTMLElement, url: string, label: string): HTMLInputElement {
  let field = box.querySelector<HTMLInputElement>('input.share-link');
  if (!field) {
    field = el('input', 'share-link');
    field.readOnly = true;
    field.dataset.focusKey = 'share-link';
    field.setAttribute('aria-label', label);
    box.append(field);
  }
  field.value = url;
  return field;
}

async function share(lot: LotView, lang: Lang, box: HTMLElement, status: HTMLElement): Promise<void> {
  const s = t(lang);
  const url = lotLink(lot.id, location.origin);
  const title = lotName(lot, lang);
  const data = { title, text: title, url };
  if (typeof navigator.share === 'function' && (navigator.canShare?.(data) ?? true)) {
    try {
      await navigator.share(data);
      return;
    } catch (err) {
      if ((err as Error).name === 'AbortError') return; // the driver closed the share sheet
    }
  }
  try {
    await navigator.clipboard.writeText(url);
    said = { id: lot.id, text: s.linkCopied, showLink: false };
    status.textContent = s.linkCopied;
  } catch {
    // No clipboard here (not a secure origin, or refused): the link, selected, to copy by hand.
    said = { id: lot.id, text: s.copyLink, showLink: true };
    status.textContent = s.copyLink;
    const field = linkField(box, url, s.copyLink);
    field.focus();
    field.select();
  }
}

/** The share button of a lot's popup, with the line that says what it did. */
export function shareBox(lot: LotView, lang: Lang): HTMLElement {
  const s = t(lang);
  const box = el('p', 'popup-share');
  const button = el('button', 'share', s.share);
  button.type = 'button';
  button.dataset.focusKey = 'share';
  button.setAttribute('aria-label', s.shareLabel(lotName(lot, lang)));
  const status = el('span', 'share-status');
  status.setAttribute('role', 'status');
  button.addEventListener('click', () => void share(lot, lang, box, status));
  box.append(button, status);
  if (said?.id === lot.id) {
    status.textContent = said.text;
    if (said.showLink) linkField(box, lotLink(lot.id, location.origin), s.copyLink);
  }
  return box;
}

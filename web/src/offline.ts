// Install and offline, the page's side: registers the service worker (sw.ts,
// which keeps the app shell), keeps the lots the map shows on the device
// (IndexedDB), and when the page opens with no live feed — served from the
// worker's copy, or the socket failing before any snapshot — shows them
// again, greyed and dated (remembered.ts), under an offline banner, until a
// live snapshot replaces them. It also links the manifest of the page's language.
import type { LotView } from '../../server/domain/lot.ts';
import { el } from './dom.ts';
import { t, updatedAgo, type Lang } from './i18n.ts';
import { pwaStrings } from './i18n-pwa.ts';
import { asRemembered, rememberedLot, type Remembered } from './remembered.ts';

const DB_NAME = 'kongwei';
const STORE = 'remembered';
const KEY = 'map';
/** The first save comes soon after live data arrives; then at most one per interval (and one when the page is hidden). */
const FIRST_SAVE_MS = 500;
const SAVE_INTERVAL_MS = 15_000;

export interface OfflineOptions {
  /** Now, on the service's clock. */
  now(): number;
  /** The lots the map shows now. */
  lots(): Iterable<LotView>;
  /** Shows kept lots in place of everything (already made stale: rememberedLot). */
  restore(lots: LotView[]): void;
  banner: HTMLElement;
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = act(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

export class Offline {
  /** The kept lots are on the map (no live snapshot since). */
  private showing: Remembered | undefined;
  /** A live snapshot came: from now on the map shows live data, and what it shows is kept. */
  private live = false;
  private tried = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private saved = false;
  private lang: Lang = 'zh';

  constructor(private readonly options: OfflineOptions) {}

  start(): void {
    if ('serviceWorker' in navigator) {
      // After the page has loaded: installing fetches the shell again, which must not slow the first load.
      const register = () => void navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => undefined);
      if (document.readyState === 'complete') register();
      else window.addEventListener('load', register, { once: true });
    }
    // The worker's copy of the page: the network failed, so show what was kept at once.
    if (document.body.dataset.offlineCopy !== undefined) void this.tryRestore();
    const flush = () => {
      if (document.visibilityState === 'hidden' && this.live) void this.save();
    };
    document.addEventListener('visibilitychange', flush);
    window.addEventListener('pagehide', () => this.live && void this.save());
  }

  /** The feed's connection: failing before any live data, the kept lots are shown. */
  connection(connected: boolean): void {
    if (!connected && !this.live) void this.tryRestore();
  }

  /** A live snapshot arrived: the map is live again. */
  snapshot(): void {
    this.live = true;
    if (this.showing) {
      this.showing = undefined;
      this.renderBanner();
    }
    this.changed();
  }

  /** Live data changed: keep it (soon after the first data, then at most once per interval). */
  changed(): void {
    if (!this.live || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      void this.save();
    }, this.saved ? SAVE_INTERVAL_MS : FIRST_SAVE_MS);
  }

  /** The page's language: the banner's words and the manifest linked (its names). */
  language(lang: Lang): void {
    this.lang = lang;
    const link = document.querySelector<HTMLLinkElement>('link[rel="manifest"]');
    const href = `/manifest.${lang}.webmanifest`;
    if (link && link.getAttribute('href') !== href) link.setAttribute('href', href);
    this.renderBanner();
  }

  private async tryRestore(): Promise<void> {
    if (this.tried) return;
    this.tried = true;
    let kept: Remembered | undefined;
    try {
      kept = asRemembered(await transact('readonly', (store) => store.get(KEY)));
    } catch {
      return; // no storage (private mode): nothing to show
    }
    if (!kept || kept.lots.length === 0 || this.live) return;
    this.showing = kept;
    this.options.restore(kept.lots.map(rememberedLot));
    this.renderBanner();
  }

  private async save(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    const record: Remembered = { version: 1, savedAt: this.options.now(), lots: [...this.options.lots()] };
    if (record.lots.length === 0) return;
    try {
      await transact('readwrite', (store) => store.put(record, KEY));
      this.saved = true;
      // For tests and the curious: when the map's lots were last kept.
      document.body.dataset.keptAt = String(record.savedAt);
    } catch {
      // Storage full or refused: the page works as before, without a copy.
    }
  }

  /** The connection banner: its usual words, or, while kept lots show, that nothing is live and how old it is. */
  private renderBanner(): void {
    const { banner } = this.options;
    if (!this.showing) {
      if (banner.dataset.offline !== undefined) {
        delete banner.dataset.offline;
        banner.textContent = t(this.lang).disconnected;
      }
      return;
    }
    const s = pwaStrings(this.lang);
    const age = el('span', 'offline-age');
    // Kept ticking by the page's clock (main.ts tickAges), like every age on the page.
    age.dataset.since = String(this.showing.savedAt);
    age.textContent = updatedAgo(this.options.now() - this.showing.savedAt, this.lang);
    banner.replaceChildren(s.offlineBefore, age, s.offlineAfter);
    banner.dataset.offline = '';
    banner.hidden = false;
  }
}

// The drivers' live map. Lots arrive as a snapshot when the page subscribes
// to its viewport over Socket.IO, then as coalesced `lots:update` pushes.
// Every text from the server is set with textContent, never as HTML.
import L from 'leaflet';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../server/domain/contract.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { chooseLang, lotName, t, type Lang } from './i18n.ts';

const SHIBEI_CENTER: L.LatLngTuple = [36.0915, 120.3610];
const RESUBSCRIBE_DELAY_MS = 250;

let lang: Lang = chooseLang(location.search, localStorage.getItem('kongwei.lang'), navigator.languages ?? [navigator.language]);
const lots = new Map<string, LotView>();
const markers = new Map<string, L.Marker>();

const body = document.body;
const map = L.map('map', { zoomControl: true }).setView(SHIBEI_CENTER, 13);
L.tileLayer(body.dataset.tileUrl ?? '', { attribution: body.dataset.tileAttribution ?? '', maxZoom: 19 }).addTo(map);

const list = document.getElementById('lot-list') as HTMLUListElement;
const banner = document.getElementById('connection-banner') as HTMLDivElement;
const langToggle = document.getElementById('lang-toggle') as HTMLButtonElement;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What a lot's badge says: its free count, or why there is none. */
function freeText(lot: LotView): string {
  if (lot.free === null) return '–';
  return String(lot.free);
}

function statusText(lot: LotView): string {
  const s = t(lang);
  if (lot.free === null) return s.noData;
  if (lot.stale) return s.noRecentData;
  return s.availability[lot.availability];
}

function markerElement(lot: LotView): HTMLElement {
  const node = el('div', `lot-marker av-${lot.availability}`, freeText(lot));
  node.dataset.lotId = lot.id;
  node.title = `${lotName(lot, lang)} — ${statusText(lot)}`;
  return node;
}

function popupContent(lot: LotView): HTMLElement {
  const s = t(lang);
  const box = el('div', 'lot-popup');
  box.append(el('h3', undefined, lotName(lot, lang)));
  if (lot.address) box.append(el('p', undefined, lot.address));
  box.append(el('p', undefined, `${s.type[lot.type]} · ${s.capacity} ${lot.capacity}`));
  box.append(el('p', undefined, lot.free === null ? s.noData : `${s.free}: ${lot.free} · ${statusText(lot)}`));
  if (lot.updatedAt) box.append(el('p', undefined, `${s.updated} ${new Date(lot.updatedAt).toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB')}`));
  return box;
}

function renderMarker(lot: LotView): void {
  const icon = L.divIcon({ html: markerElement(lot), className: 'lot-marker-icon', iconSize: undefined });
  let marker = markers.get(lot.id);
  if (marker) {
    marker.setLatLng([lot.lat, lot.lon]);
    marker.setIcon(icon);
    marker.setPopupContent(popupContent(lot));
  } else {
    marker = L.marker([lot.lat, lot.lon], { icon, keyboard: true, title: lotName(lot, lang) });
    marker.bindPopup(() => popupContent(lots.get(lot.id) ?? lot));
    marker.addTo(map);
    markers.set(lot.id, marker);
  }
}

function listItem(lot: LotView): HTMLLIElement {
  const item = el('li', 'lot-item');
  item.dataset.lotId = lot.id;
  item.tabIndex = 0;
  const name = el('span', 'name', lotName(lot, lang));
  name.append(el('span', 'sub', statusText(lot)));
  const badge = el('span', `badge free av-${lot.availability}`, freeText(lot));
  item.append(name, badge);
  const open = () => {
    map.setView([lot.lat, lot.lon], Math.max(map.getZoom(), 15));
    markers.get(lot.id)?.openPopup();
  };
  item.addEventListener('click', open);
  item.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      open();
    }
  });
  return item;
}

/** Lots a driver can use come first, then the rest; most free spaces first within each. */
const AVAILABILITY_ORDER: Record<LotView['availability'], number> = { available: 0, almost_full: 1, full: 2, unknown: 3, closed: 4 };

function renderList(): void {
  const sorted = [...lots.values()].sort(
    (a, b) =>
      AVAILABILITY_ORDER[a.availability] - AVAILABILITY_ORDER[b.availability] ||
      (b.free ?? -1) - (a.free ?? -1) ||
      lotName(a, lang).localeCompare(lotName(b, lang)),
  );
  list.replaceChildren(...(sorted.length ? sorted.map(listItem) : [el('li', 'lot-empty', t(lang).empty)]));
}

function applyLots(updated: LotView[], replace: boolean): void {
  if (replace) {
    const keep = new Set(updated.map((l) => l.id));
    for (const [id, marker] of markers) {
      if (!keep.has(id)) {
        marker.remove();
        markers.delete(id);
        lots.delete(id);
      }
    }
  }
  for (const lot of updated) {
    lots.set(lot.id, lot);
    renderMarker(lot);
  }
  renderList();
}

function applyLanguage(): void {
  const s = t(lang);
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    node.textContent = s[node.dataset.i18n as 'tagline' | 'listTitle'];
  }
  langToggle.textContent = s.switchTo;
  banner.textContent = s.disconnected;
  applyLots([...lots.values()], false);
}

langToggle.addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('kongwei.lang', lang);
  applyLanguage();
});

const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io({ transports: ['websocket', 'polling'] });

function viewportBBox(): [number, number, number, number] {
  const b = map.getBounds().pad(0.5);
  const clampLat = (v: number) => Math.max(-90, Math.min(90, v));
  const clampLon = (v: number) => Math.max(-180, Math.min(180, v));
  return [clampLon(b.getWest()), clampLat(b.getSouth()), clampLon(b.getEast()), clampLat(b.getNorth())];
}

function subscribe(): void {
  if (!socket.connected) return;
  socket.emit('subscribe', { bbox: viewportBBox() }, (answer: SubscribeAck) => {
    if ('error' in answer) {
      console.warn('subscribe failed:', answer.error.message);
      setTimeout(subscribe, 2000);
      return;
    }
    applyLots(answer.lots, true);
  });
}

let resubscribeTimer: ReturnType<typeof setTimeout> | undefined;
map.on('moveend', () => {
  clearTimeout(resubscribeTimer);
  resubscribeTimer = setTimeout(subscribe, RESUBSCRIBE_DELAY_MS);
});

socket.on('connect', () => {
  banner.hidden = true;
  subscribe(); // a fresh snapshot after every (re)connect
});
socket.on('disconnect', () => {
  banner.hidden = false;
});
socket.on('connect_error', () => {
  banner.hidden = false;
});
socket.on('lots:update', (updated) => applyLots(updated, false));

applyLanguage();

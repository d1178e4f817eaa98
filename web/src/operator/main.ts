// The operator page (/operator): sign in with a token; see one's own lots
// with live counts (Socket.IO), last data time and gateway state; add a lot
// by clicking the map and filling a form whose errors come from the API,
// field by field; edit, close, delete; create gateway credentials.
// Every text from the server is set with textContent, never as HTML.
import L from 'leaflet';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents, SubscribeAck } from '../../../server/domain/contract.ts';
import type { LotView } from '../../../server/domain/lot.ts';
import type { GatewayView, MeAnswer, NewGatewayAnswer } from '../../../server/domain/operator-api.ts';
import { chooseLang, lotName, type Lang } from '../i18n.ts';
import { ApiError, OperatorApi } from './api.ts';
import { LotForm } from './form.ts';
import { strings } from './i18n.ts';
import { el } from '../dom.ts';

const SHIBEI_CENTER: L.LatLngTuple = [36.0915, 120.3610];
const TOKEN_KEY = 'kongwei.operatorToken';
const GATEWAY_POLL_MS = 20_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let lang: Lang = chooseLang(location.search, localStorage.getItem('kongwei.lang'), navigator.languages ?? [navigator.language]);
let s = strings(lang);
let api: OperatorApi | undefined;
let me: MeAnswer | undefined;
const lots = new Map<string, LotView>();
let gateways: GatewayView[] = [];
let socket: Socket<ServerToClientEvents, ClientToServerEvents> | undefined;
let pollTimer: ReturnType<typeof setInterval> | undefined;

const signIn = $<HTMLElement>('sign-in');
const signInForm = $<HTMLFormElement>('sign-in-form');
const tokenInput = $<HTMLInputElement>('token-input');
const signInError = $<HTMLElement>('sign-in-error');
const workspace = $<HTMLElement>('workspace');
const who = $<HTMLElement>('who');
const signOutButton = $<HTMLButtonElement>('sign-out');
const langToggle = $<HTMLButtonElement>('lang-toggle');
const notice = $<HTMLElement>('notice');
const lotsView = $<HTMLElement>('lots-view');
const ownLots = $<HTMLUListElement>('own-lots');
const lotFormElement = $<HTMLFormElement>('lot-form');
const formTitle = $<HTMLElement>('lot-form-title');
const formError = $<HTMLElement>('form-error');
const gatewayView = $<HTMLElement>('gateway-view');
const gatewayDetails = $<HTMLTextAreaElement>('gateway-details');
const gatewayCopied = $<HTMLElement>('gateway-copied');
const auditView = $<HTMLElement>('audit-view');
const auditTitle = $<HTMLElement>('audit-title');
const auditEntries = $<HTMLOListElement>('audit-entries');
const form = new LotForm($<HTMLElement>('lot-fields'));

// ---- the map ---------------------------------------------------------------

let map: L.Map | undefined;
const markers = new Map<string, L.Marker>();
let pick: L.Marker | undefined;

function ensureMap(): L.Map {
  if (map) return map;
  const body = document.body;
  map = L.map('map').setView(SHIBEI_CENTER, 14);
  L.tileLayer(body.dataset.tileUrl ?? '', { attribution: body.dataset.tileAttribution ?? '', maxZoom: 19 }).addTo(map);
  map.on('click', (e: L.LeafletMouseEvent) => {
    // A click places the lot being edited, or starts a new one from the list (never over a shown secret).
    if (lotFormElement.hidden && lotsView.hidden) return;
    if (lotFormElement.hidden) openForm(undefined);
    placePick(e.latlng.lat, e.latlng.lng);
  });
  return map;
}

function placePick(lat: number, lon: number): void {
  form.setPoint(lat, lon);
  const icon = L.divIcon({ html: el('div', 'op-pick'), className: 'op-pick-icon', iconSize: undefined });
  if (pick) pick.setLatLng([lat, lon]);
  else pick = L.marker([lat, lon], { icon, interactive: false }).addTo(ensureMap());
}

function clearPick(): void {
  pick?.remove();
  pick = undefined;
}

function freeText(lot: LotView): string {
  return lot.free === null ? '–' : String(lot.free);
}

function renderMarker(lot: LotView): void {
  const node = el('div', `op-marker av-${lot.availability}`, freeText(lot));
  node.dataset.lotId = lot.id;
  node.title = lotName(lot, lang);
  const icon = L.divIcon({ html: node, className: 'op-marker-icon', iconSize: undefined });
  const marker = markers.get(lot.id);
  if (marker) {
    marker.setLatLng([lot.lat, lot.lon]);
    marker.setIcon(icon);
  } else {
    const created = L.marker([lot.lat, lot.lon], { icon, title: lotName(lot, lang) }).addTo(ensureMap());
    created.on('click', () => document.querySelector<HTMLElement>(`#own-lots [data-lot-id="${CSS.escape(lot.id)}"]`)?.scrollIntoView({ block: 'nearest' }));
    markers.set(lot.id, created);
  }
}

// ---- the list --------------------------------------------------------------

function timeText(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB') : s.never;
}

function gatewayLine(lot: LotView): HTMLElement {
  const line = el('div', 'gateways');
  const own = gateways.filter((g) => g.lotIds.includes(lot.id));
  line.append(el('span', 'label', `${s.gateways}: `));
  if (own.length === 0) line.append(el('span', 'none', s.noGateways));
  for (const gateway of own) {
    const state = gateway.online === null ? 'unknown' : gateway.online ? 'online' : 'offline';
    const chip = el('span', `gateway-chip gw-${state}`, `${gateway.name ?? gateway.id} · ${gateway.online === null ? s.unknownOnline : gateway.online ? s.online : s.offline}`);
    chip.dataset.gatewayId = gateway.id;
    chip.title = gateway.id;
    line.append(chip);
  }
  return line;
}

function button(text: string, action: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', `small ${action}`, text);
  b.type = 'button';
  b.dataset.action = action;
  b.addEventListener('click', onClick);
  return b;
}

function lotItem(lot: LotView): HTMLLIElement {
  const item = el('li', 'own-lot');
  item.dataset.lotId = lot.id;
  const head = el('div', 'head');
  head.append(el('span', 'name', lotName(lot, lang)), el('span', `badge av-${lot.availability}`, `${freeText(lot)} ${s.of} ${lot.capacity}`));
  const meta = el('div', 'meta', `${lot.id} · ${s.status[lot.status]} · ${s.availability[lot.availability]}`);
  const last = el('div', 'last-event', `${s.lastEvent}: ${timeText(lot.updatedAt)}`);
  const actions = el('div', 'actions');
  actions.append(
    button(s.edit, 'edit', () => openForm(lot.id)),
    lot.status === 'closed'
      ? button(s.reopen, 'reopen', () => void quickUpdate(lot.id, { status: 'open' }))
      : button(s.close, 'close', () => void quickUpdate(lot.id, { status: 'closed' })),
    button(s.newGateway, 'gateway', () => void createGateway(lot.id)),
    button(s.history, 'history', () => void showAudit(lot.id)),
    button(s.remove, 'delete', () => void deleteLot(lot.id)),
  );
  item.append(head, meta, last, gatewayLine(lot), actions);
  return item;
}

function render(): void {
  const sorted = [...lots.values()].sort((a, b) => lotName(a, lang).localeCompare(lotName(b, lang)));
  ownLots.replaceChildren(...(sorted.length ? sorted.map(lotItem) : [el('li', 'empty', s.noLots)]));
  for (const [id, marker] of markers) {
    if (!lots.has(id)) {
      marker.remove();
      markers.delete(id);
    }
  }
  for (const lot of sorted) renderMarker(lot);
}

function say(message: string): void {
  notice.textContent = message;
  notice.hidden = false;
}

// ---- data ------------------------------------------------------------------

async function loadLots(): Promise<void> {
  if (!api) return;
  const answer = await api.myLots();
  lots.clear();
  for (const lot of answer.lots) lots.set(lot.id, lot);
  gateways = answer.gateways;
  render();
  subscribe();
}

function subscribe(): void {
  if (!socket?.connected || lots.size === 0) return;
  socket.emit('subscribe', { ids: [...lots.keys()] }, (answer: SubscribeAck) => {
    if ('lots' in answer) {
      for (const lot of answer.lots) lots.set(lot.id, lot);
      render();
    }
  });
}

function connectSocket(): void {
  socket = io({ transports: ['websocket', 'polling'] });
  socket.on('connect', subscribe);
  socket.on('lots:update', (updated) => {
    let changed = false;
    for (const lot of updated) {
      if (!lots.has(lot.id)) continue;
      lots.set(lot.id, lot);
      changed = true;
    }
    if (changed) render();
  });
  socket.on('lots:remove', (ids) => {
    for (const id of ids) lots.delete(id);
    render();
  });
}

/** Turns an API error into words on the page; a rejected token signs out. */
function report(err: unknown, target: HTMLElement = formError): void {
  if (!(err instanceof ApiError)) throw err;
  if (err.status === 401) return signOut(s.badToken);
  target.textContent = err.status === 429 ? s.rateLimited(err.retryAfterS) : err.status === 0 ? s.networkError : err.message;
  if (target === notice) notice.hidden = false;
}

// ---- the form --------------------------------------------------------------

function showOnly(section: HTMLElement): void {
  for (const part of [lotsView, lotFormElement, gatewayView, auditView]) part.hidden = part !== section;
}

function openForm(id: string | undefined): void {
  const lot = id ? lots.get(id) : undefined;
  form.load(lot, id);
  formTitle.textContent = lot ? s.editLotTitle(lotName(lot, lang)) : s.newLotTitle;
  formError.textContent = '';
  clearPick();
  showOnly(lotFormElement);
}

function closeForm(): void {
  clearPick();
  form.editing = undefined;
  showOnly(lotsView);
}

lotFormElement.addEventListener('submit', (e) => {
  e.preventDefault();
  void saveForm();
});
$<HTMLButtonElement>('lot-cancel').addEventListener('click', closeForm);

async function saveForm(): Promise<void> {
  if (!api) return;
  formError.textContent = '';
  const editing = form.editing;
  const payload = form.payload();
  try {
    const saved = editing ? await api.updateLot(editing, payload) : await api.createLot(payload);
    lots.set(saved.id, saved);
    closeForm();
    render();
    subscribe();
    say(editing ? s.saved : s.created(saved.id));
  } catch (err) {
    if (err instanceof ApiError && err.code === 'validation_failed' || err instanceof ApiError && err.status === 409) {
      const elsewhere = form.showErrors(err.fields);
      formError.textContent = [s.fixFields, ...elsewhere].join(' ');
    } else report(err);
  }
}

async function quickUpdate(id: string, patch: Record<string, unknown>): Promise<void> {
  try {
    const saved = await api!.updateLot(id, patch);
    lots.set(id, saved);
    render();
  } catch (err) {
    report(err, notice);
  }
}

async function deleteLot(id: string): Promise<void> {
  const lot = lots.get(id);
  if (!lot || !confirm(s.confirmDelete(lotName(lot, lang)))) return;
  try {
    await api!.deleteLot(id);
    lots.delete(id);
    gateways = gateways.filter((g) => !(g.lotIds.length === 1 && g.lotIds[0] === id));
    render();
    say(s.deleted(lotName(lot, lang)));
  } catch (err) {
    report(err, notice);
  }
}

// ---- gateways --------------------------------------------------------------

function connectionText(gateway: NewGatewayAnswer): string {
  const c = s.connection;
  const [firstTopic] = gateway.mqtt.topics.publish;
  const { hostname, port } = new URL(gateway.mqtt.url.replace(/^mqtts?:|^wss?:/, 'http:'));
  return [
    `${c.broker}: ${gateway.mqtt.url}`,
    `${c.clientId}: ${gateway.mqtt.clientId}`,
    `${c.username}: ${gateway.mqtt.username}`,
    `${c.password}: ${gateway.mqtt.password}`,
    `${c.publish}:`,
    ...gateway.mqtt.topics.publish.map((t) => `  ${t}`),
    `${c.example}:`,
    `  mosquitto_pub -h ${hostname} -p ${port || 1883} -i ${gateway.mqtt.clientId} -u ${gateway.mqtt.username} -P '${gateway.mqtt.password}' -q 1 -t ${firstTopic} -m '{"free":12}'`,
  ].join('\n');
}

async function createGateway(lotId: string): Promise<void> {
  const name = prompt(s.gatewayName) ?? undefined;
  if (name === undefined) return;
  try {
    const gateway = await api!.createGateway(lotId, name.trim() || undefined);
    gateways = [...gateways, gateway];
    render();
    gatewayDetails.value = connectionText(gateway);
    gatewayCopied.textContent = '';
    showOnly(gatewayView);
    gatewayDetails.focus();
    gatewayDetails.select();
  } catch (err) {
    report(err, notice);
  }
}

$<HTMLButtonElement>('gateway-copy').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(gatewayDetails.value);
    gatewayCopied.textContent = s.copied;
  } catch {
    // No clipboard API (plain HTTP on a network address): the old way, from the selection.
    gatewayDetails.select();
    gatewayCopied.textContent = document.execCommand('copy') ? s.copied : s.copyFailed;
  }
});
$<HTMLButtonElement>('gateway-done').addEventListener('click', () => {
  gatewayDetails.value = ''; // the secret leaves the page
  showOnly(lotsView);
});

async function refreshGateways(): Promise<void> {
  if (!api) return;
  try {
    gateways = (await api.myLots()).gateways;
    render();
  } catch {
    // The next poll tries again; live counts keep coming over the socket.
  }
}

// ---- audit -----------------------------------------------------------------

function valueText(value: unknown): string {
  return value === null || value === undefined ? '∅' : typeof value === 'string' ? value : JSON.stringify(value);
}

async function showAudit(id: string): Promise<void> {
  const lot = lots.get(id);
  try {
    const { entries } = await api!.audit(id);
    auditTitle.textContent = s.auditTitle(lot ? lotName(lot, lang) : id);
    auditEntries.replaceChildren(
      ...(entries.length === 0 ? [el('li', undefined, s.noAudit)] : entries.reverse().map((entry) => {
        const item = el('li');
        item.append(el('div', 'audit-head', `${timeText(entry.at)} · ${entry.actor.name} · ${s.actions[entry.action] ?? entry.action}`));
        const changes = el('ul', 'audit-changes');
        for (const [field, { from, to }] of Object.entries(entry.changes)) {
          if (entry.action === 'lot.create' && to === null) continue;
          changes.append(el('li', undefined, `${field}: ${valueText(from)} → ${valueText(to)}`));
        }
        item.append(changes);
        return item;
      })),
    );
    showOnly(auditView);
  } catch (err) {
    report(err, notice);
  }
}
$<HTMLButtonElement>('audit-done').addEventListener('click', () => showOnly(lotsView));

// ---- signing in and out ----------------------------------------------------

async function start(token: string): Promise<boolean> {
  const candidate = new OperatorApi(token);
  try {
    me = await candidate.me();
  } catch (err) {
    signInError.textContent = err instanceof ApiError && err.status === 429 ? s.rateLimited(err.retryAfterS) : err instanceof ApiError && err.status === 0 ? s.networkError : s.badToken;
    return false;
  }
  api = candidate;
  sessionStorage.setItem(TOKEN_KEY, token);
  signIn.hidden = true;
  workspace.hidden = false;
  signOutButton.hidden = false;
  who.textContent = s.signedInAs(me.operator.name, me.operator.role === 'admin');
  ensureMap().invalidateSize();
  connectSocket();
  await loadLots().catch((err) => report(err, notice));
  pollTimer = setInterval(() => void refreshGateways(), GATEWAY_POLL_MS);
  return true;
}

function signOut(message = ''): void {
  sessionStorage.removeItem(TOKEN_KEY);
  api = undefined;
  me = undefined;
  clearInterval(pollTimer);
  socket?.disconnect();
  socket = undefined;
  lots.clear();
  gateways = [];
  render();
  closeForm();
  workspace.hidden = true;
  signOutButton.hidden = true;
  signIn.hidden = false;
  who.textContent = '';
  tokenInput.value = '';
  signInError.textContent = message;
}

signInForm.addEventListener('submit', (e) => {
  e.preventDefault();
  signInError.textContent = '';
  const token = tokenInput.value.trim();
  if (token) void start(token);
});
signOutButton.addEventListener('click', () => signOut());

$<HTMLButtonElement>('add-lot').addEventListener('click', () => {
  openForm(undefined);
  const center = ensureMap().getCenter();
  placePick(center.lat, center.lng);
});

// ---- language --------------------------------------------------------------

function applyLanguage(): void {
  s = strings(lang);
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const text = s[node.dataset.i18n as keyof typeof s];
    if (typeof text === 'string') node.textContent = text;
  }
  langToggle.textContent = s.switchTo;
  form.translate(s);
  if (me) who.textContent = s.signedInAs(me.operator.name, me.operator.role === 'admin');
  render();
}

langToggle.addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('kongwei.lang', lang);
  applyLanguage();
});

applyLanguage();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) void start(saved);

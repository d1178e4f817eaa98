// The operator page (/operator): sign in with a token; see one's own lots
// with live counts (Socket.IO), last data time and gateway state; add a lot
// by clicking the map and filling a form whose errors come from the API,
// field by field; edit, close, delete; create gateway credentials; alerts
// (webhooks) and their delivery log; a lot's occupancy: charts, figures, a
// weekday × hour heat map, forecast accuracy.
// This file only wires the views to the session (session.ts) and each other.
// Every text from the server is set with textContent, never as HTML.
import { byId } from '../dom.ts';
import { chooseLang } from '../i18n.ts';
import { AuditView } from './audit-view.ts';
import { GatewayView } from './gateway-view.ts';
import { LotEditor } from './lot-editor.ts';
import { LotsList } from './lots-list.ts';
import { LotsMap } from './lots-map.ts';
import { Session } from './session.ts';
import { SignIn } from './sign-in.ts';
import { StatsView } from './stats-view.ts';
import { Ui } from './ui.ts';
import { WebhooksView } from './webhooks-view.ts';

const LANG_KEY = 'kongwei.lang';

const session = new Session(chooseLang(location.search, localStorage.getItem(LANG_KEY), navigator.languages ?? [navigator.language]));
const ui = new Ui(session, (message) => signIn.signOut(message));

const map = new LotsMap(session, {
  click: (lat, lon) => editor.mapClicked(lat, lon),
  select: (id) => list.reveal(id),
});
const editor = new LotEditor(session, ui, map);
const gateways = new GatewayView(session, ui);
const audit = new AuditView(session, ui);
const webhooks = new WebhooksView(session, ui);
const stats = new StatsView(session, ui);
const list = new LotsList(session, ui, {
  edit: (id) => editor.open(id),
  newGateway: (id) => void gateways.create(id),
  history: (id) => void audit.show(id),
  stats: (id) => void stats.show(id),
});
const signIn = new SignIn(session, {
  signedIn: async () => {
    map.ensure().invalidateSize();
    await session.loadLots().catch((err) => ui.report(err));
  },
  signedOut: () => {
    editor.close();
    webhooks.reset();
  },
});

function render(): void {
  map.render(list.render());
}
session.onChange(render);

byId<HTMLButtonElement>('add-lot').addEventListener('click', () => editor.openNew());

// ---- language
const langToggle = byId<HTMLButtonElement>('lang-toggle');

function applyLanguage(): void {
  const { s } = session;
  document.documentElement.lang = session.lang;
  for (const node of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const text = s[node.dataset.i18n as keyof typeof s];
    if (typeof text === 'string') node.textContent = text;
  }
  langToggle.textContent = s.switchTo;
  // Its name holds the words it shows ("English" / "中文"), said in their own language.
  langToggle.lang = session.lang === 'zh' ? 'en' : 'zh';
  langToggle.setAttribute('aria-label', s.switchToLabel);
  editor.translate(s);
  webhooks.translate();
  stats.translate();
  signIn.translate();
  render();
}

langToggle.addEventListener('click', () => {
  session.lang = session.lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem(LANG_KEY, session.lang);
  applyLanguage();
});

applyLanguage();
signIn.resume();

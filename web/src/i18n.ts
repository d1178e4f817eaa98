// Every string of the page in Chinese and English, and the ways numbers,
// ages, distances, prices and opening hours are said in each. The language
// comes from ?lang=zh|en, else the last choice on this device, else the browser.
// Pure (no DOM), so the unit tests run it in Node.
import type { Availability, LotStatus, LotType, LotView } from '../../server/domain/lot.ts';
import type { LotFeature } from '../../server/domain/features.ts';
import type { BayKind } from '../../server/domain/bay-kinds.ts';

/** The kinds of bay, in words, for their live counts (a Chinese noun; English singular and plural). */
const ZH_KIND: Record<BayKind, string> = { charging: '充电车位', disabled: '无障碍车位', family: '家庭车位', women: '女士车位' };
const EN_KIND: Record<BayKind, [string, string]> = {
  charging: ['charging bay', 'charging bays'],
  disabled: ['disabled bay', 'disabled bays'],
  family: ['family bay', 'family bays'],
  women: ["women's bay", "women's bays"],
};
/** One wording per kind of bay. */
const kindWords = (say: (kind: BayKind, free: number) => string): Record<BayKind, (free: number) => string> => ({
  charging: (free) => say('charging', free),
  disabled: (free) => say('disabled', free),
  family: (free) => say('family', free),
  women: (free) => say('women', free),
});

/**
 * What the lots of a cluster with no live count show instead: closed by their opening hours, not
 * open at all, or no recent data — in the words a lot's own line uses for each.
 */
export type ClusterState = 'closedNow' | 'notOpen' | 'noRecentData';
const CLUSTER_STATES: readonly ClusterState[] = ['closedNow', 'notOpen', 'noRecentData'];
const ZH_CLUSTER_STATE: Record<ClusterState, string> = { closedNow: '休息中', notOpen: '未开放', noRecentData: '暂无最新数据' };
const EN_CLUSTER_STATE: Record<ClusterState, string> = { closedNow: 'closed now', notOpen: 'not open', noRecentData: 'no recent data' };
/** One state said once when every lot shows it ("3 car parks, closed now"), else each with its count ("3 car parks: 2 closed now, 1 not open"). */
function clusterStates(counts: Record<ClusterState, number>, alike: (state: ClusterState) => string, mixed: (parts: string[]) => string, part: (count: number, state: ClusterState) => string): string {
  const present = CLUSTER_STATES.filter((state) => counts[state] > 0);
  return present.length > 1 ? mixed(present.map((state) => part(counts[state], state))) : alike(present[0] ?? 'noRecentData');
}

export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];

/** opening_hours tokens (OpenStreetMap syntax) said in words. */
type HoursToken = 'Mo' | 'Tu' | 'We' | 'Th' | 'Fr' | 'Sa' | 'Su' | 'PH' | 'off' | 'closed';

export interface Strings {
  pageTitle: string;
  tagline: string;
  switchTo: string;
  switchToLabel: string;
  mapLabel: string;
  listTitle: string;
  sortedFromCentre: string;
  sortedFromYou: string;
  othersTitle: string;
  filtersLabel: string;
  feature: Record<LotFeature, string>;
  locate: string;
  locateFailed: string;
  yourPosition: string;
  sheetExpand: string;
  sheetCollapse: string;
  zoomIn: string;
  zoomOut: string;
  disconnected: string;
  empty: string;
  emptyFiltered: string;
  moreLots: (count: number) => string;
  noRecentData: string;
  /** An open lot that its opening hours close now. */
  closedNow: string;
  opensAt: (when: string) => string;
  closesAt: (when: string) => string;
  /** A date without its year ("10月8日" / "8 Oct"), for an opening more than a week away. */
  monthDay: (month: number, day: number) => string;
  availability: Record<Availability, string>;
  status: Record<LotStatus, string>;
  type: Record<LotType, string>;
  freeOf: (free: number, capacity: number) => string;
  capacity: (capacity: number) => string;
  openingHours: string;
  open247: string;
  hoursTokens: Record<HoursToken, string>;
  price: string;
  paid: string;
  freeOfCharge: string;
  specialSpaces: string;
  /** A kind's live free bays, from its bay sensors ("1 charging bay free now"). */
  kindFreeNow: Record<BayKind, (free: number) => string>;
  address: string;
  maxHeight: string;
  metresValue: (metres: string) => string;
  clamped: string;
  updatedAgo: (age: string) => string;
  justNow: string;
  age: { s: (n: number) => string; min: (n: number) => string; h: (n: number) => string; d: (n: number) => string };
  metres: (n: number) => string;
  kilometres: (n: string) => string;
  directions: string;
  directionsOther: string;
  /** A cluster's accessible name: its lots, and the live free spaces of those with a count, summed. */
  clusterLabel: (lots: number, free: number) => string;
  /** A cluster's accessible name with what all its lots say instead of a count ("3 car parks, not open at 10:30"). */
  clusterSays: (lots: number, what: string) => string;
  /** A cluster none of whose lots has a live count: what they show, all alike or each state counted. */
  clusterWithoutCount: (lots: number, counts: Record<ClusterState, number>) => string;
  closePopup: string;
  // Find and share (search.ts, share.ts)
  directionsBaidu: string;
  findLabel: string;
  findPlaceholder: string;
  findResultsLabel: string;
  findResults: (count: number) => string;
  findNone: (query: string) => string;
  findFailed: string;
  share: string;
  shareLabel: (name: string) => string;
  linkCopied: string;
  copyLink: string;
  lotMissing: string;
}

const zh: Strings = {
  pageTitle: '空位 Kongwei — 市北区停车场实时空位',
  tagline: '市北区停车场实时空位',
  switchTo: 'English',
  switchToLabel: 'Switch to English',
  mapLabel: '停车场地图',
  listTitle: '附近的停车场',
  sortedFromCentre: '按与地图中心的距离排序',
  sortedFromYou: '按与您的距离排序',
  othersTitle: '已满、未开放或暂无最新数据',
  filtersLabel: '只看有这些车位的停车场',
  feature: { ev: '充电车位', disabled: '无障碍车位', family: '家庭车位', women: '女士车位' },
  locate: '显示我的位置',
  locateFailed: '无法获取您的位置。',
  yourPosition: '您的位置',
  sheetExpand: '展开列表',
  sheetCollapse: '收起列表',
  zoomIn: '放大',
  zoomOut: '缩小',
  disconnected: '连接已断开，正在重新连接…… 实时数据已暂停。',
  empty: '附近没有停车场。',
  emptyFiltered: '附近没有符合筛选条件的停车场。',
  moreLots: (count) => `另有 ${count} 个停车场，放大地图可查看`,
  noRecentData: '暂无最新数据',
  closedNow: '休息中',
  opensAt: (when) => `${when} 开放`,
  closesAt: (when) => `${when} 关闭`,
  monthDay: (month, day) => `${month}月${day}日`,
  availability: { available: '有空位', almost_full: '即将满', full: '已满', closed: '未开放', unknown: '暂无最新数据' },
  status: { planned: '规划中', under_construction: '建设中', open: '开放', closed: '已关闭' },
  type: { surface: '地面停车场', multi_storey: '立体停车场', underground: '地下停车场', on_street: '路边停车位' },
  freeOf: (free, capacity) => `空位 ${free} / 共 ${capacity}`,
  capacity: (capacity) => `共 ${capacity} 个车位`,
  openingHours: '开放时间',
  open247: '24 小时开放',
  hoursTokens: { Mo: '周一', Tu: '周二', We: '周三', Th: '周四', Fr: '周五', Sa: '周六', Su: '周日', PH: '节假日', off: '关闭', closed: '关闭' },
  price: '收费',
  paid: '收费',
  freeOfCharge: '免费',
  specialSpaces: '专用车位',
  kindFreeNow: kindWords((kind, free) => (free === 0 ? `${ZH_KIND[kind]}已满` : `${free} 个${ZH_KIND[kind]}空闲`)),
  address: '地址',
  maxHeight: '限高',
  metresValue: (metres) => `${metres} 米`,
  clamped: '传感器计数超出范围，已修正',
  updatedAgo: (age) => `${age}前更新`,
  justNow: '刚刚更新',
  age: { s: (n) => `${n} 秒`, min: (n) => `${n} 分钟`, h: (n) => `${n} 小时`, d: (n) => `${n} 天` },
  metres: (n) => `${n} 米`,
  kilometres: (n) => `${n} 公里`,
  directions: '导航前往（高德地图）',
  directionsOther: '用其他地图应用打开',
  clusterLabel: (lots, free) => `${lots} 个停车场，共 ${free} 个空位`,
  clusterSays: (lots, what) => `${lots} 个停车场，${what}`,
  clusterWithoutCount: (lots, counts) => clusterStates(counts, (state) => `${lots} 个停车场，${ZH_CLUSTER_STATE[state]}`,
    (parts) => `${lots} 个停车场：${parts.join('，')}`, (count, state) => `${count} 个${ZH_CLUSTER_STATE[state]}`),
  closePopup: '关闭',
  directionsBaidu: '百度地图',
  findLabel: '搜索停车场',
  findPlaceholder: '搜索停车场：名称、拼音或地址',
  findResultsLabel: '搜索结果',
  findResults: (count) => `找到 ${count} 个停车场，按上下方向键选择`,
  findNone: (query) => `没有找到与“${query}”相符的停车场`,
  findFailed: '搜索失败，请稍后再试。',
  share: '分享',
  shareLabel: (name) => `分享${name}的链接`,
  linkCopied: '链接已复制',
  copyLink: '复制这个链接：',
  lotMissing: '找不到这个停车场：链接可能有误，或停车场已被删除。',
};

const en: Strings = {
  pageTitle: 'Kongwei 空位 — live free parking in Shibei',
  tagline: 'Live free spaces in Shibei District car parks',
  switchTo: '中文',
  switchToLabel: '切换到中文',
  mapLabel: 'Map of car parks',
  listTitle: 'Car parks nearby',
  sortedFromCentre: 'nearest to the map centre first',
  sortedFromYou: 'nearest to you first',
  othersTitle: 'Full, not open or no recent data',
  filtersLabel: 'Only car parks with these spaces',
  feature: { ev: 'EV charging', disabled: 'Disabled', family: 'Family', women: 'Women' },
  locate: 'Show my position',
  locateFailed: 'Could not get your position.',
  yourPosition: 'Your position',
  sheetExpand: 'Show the list',
  sheetCollapse: 'Hide the list',
  zoomIn: 'Zoom in',
  zoomOut: 'Zoom out',
  disconnected: 'Connection lost; reconnecting… Live data is paused.',
  empty: 'No car parks nearby.',
  emptyFiltered: 'No car parks nearby match the filter.',
  moreLots: (count) => `${count} more car parks: zoom in to see them`,
  noRecentData: 'no recent data',
  closedNow: 'closed now',
  opensAt: (when) => `opens ${when}`,
  closesAt: (when) => `closes ${when}`,
  monthDay: (month, day) => `${day} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][month - 1]}`,
  availability: { available: 'spaces free', almost_full: 'almost full', full: 'full', closed: 'not open', unknown: 'no recent data' },
  status: { planned: 'planned', under_construction: 'under construction', open: 'open', closed: 'closed' },
  type: { surface: 'surface car park', multi_storey: 'multi-storey car park', underground: 'underground car park', on_street: 'on-street parking' },
  freeOf: (free, capacity) => `${free} free of ${capacity}`,
  capacity: (capacity) => `${capacity} spaces`,
  openingHours: 'Opening hours',
  open247: 'open 24/7',
  hoursTokens: { Mo: 'Mon', Tu: 'Tue', We: 'Wed', Th: 'Thu', Fr: 'Fri', Sa: 'Sat', Su: 'Sun', PH: 'public holidays', off: 'closed', closed: 'closed' },
  price: 'Price',
  paid: 'paid parking',
  freeOfCharge: 'free of charge',
  specialSpaces: 'Special spaces',
  kindFreeNow: kindWords((kind, free) => (free === 0 ? `no ${EN_KIND[kind][0]} free now` : `${free} ${EN_KIND[kind][free === 1 ? 0 : 1]} free now`)),
  address: 'Address',
  maxHeight: 'Max. height',
  metresValue: (metres) => `${metres} m`,
  clamped: 'the sensor count was out of range and was corrected',
  updatedAgo: (age) => `updated ${age} ago`,
  justNow: 'updated just now',
  age: { s: (n) => `${n} s`, min: (n) => `${n} min`, h: (n) => `${n} h`, d: (n) => `${n} d` },
  metres: (n) => `${n} m`,
  kilometres: (n) => `${n} km`,
  directions: 'Directions (Amap)',
  directionsOther: 'Open in another map app',
  clusterLabel: (lots, free) => `${lots} car parks, ${free} free spaces`,
  clusterSays: (lots, what) => `${lots} car parks, ${what}`,
  clusterWithoutCount: (lots, counts) => clusterStates(counts, (state) => `${lots} car parks, ${EN_CLUSTER_STATE[state]}`,
    (parts) => `${lots} car parks: ${parts.join(', ')}`, (count, state) => `${count} ${state === 'noRecentData' ? 'with ' : ''}${EN_CLUSTER_STATE[state]}`),
  closePopup: 'Close',
  directionsBaidu: 'Baidu Maps',
  findLabel: 'Find a car park',
  findPlaceholder: 'Find a car park: name, pinyin or address',
  findResultsLabel: 'Search results',
  findResults: (count) => `${count === 1 ? '1 car park' : `${count} car parks`} found; use the up and down arrow keys to choose`,
  findNone: (query) => `No car park matches “${query}”`,
  findFailed: 'The search failed; try again shortly.',
  share: 'Share',
  shareLabel: (name) => `Share a link to ${name}`,
  linkCopied: 'Link copied',
  copyLink: 'Copy this link:',
  lotMissing: 'This car park was not found: the link may be wrong, or the car park has been removed.',
};

const strings: Record<Lang, Strings> = { zh, en };

export function chooseLang(search: string, stored: string | null, browserLangs: readonly string[]): Lang {
  const forced = new URLSearchParams(search).get('lang');
  if (forced === 'zh' || forced === 'en') return forced;
  if (stored === 'zh' || stored === 'en') return stored;
  for (const tag of browserLangs) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'zh' || primary === 'en') return primary;
  }
  return 'en';
}

export function t(lang: Lang): Strings {
  return strings[lang];
}

/** A lot's name in the chosen language, falling back to the other. */
export function lotName(lot: Pick<LotView, 'name' | 'nameEn'>, lang: Lang): string {
  return lang === 'en' && lot.nameEn ? lot.nameEn : lot.name;
}

/** How old data is, in words: "12 秒" / "12 s", "3 分钟" / "3 min", … */
export function formatAge(ageMs: number, lang: Lang): string | null {
  const { age } = t(lang);
  const seconds = Math.max(0, Math.floor(ageMs / 1000));
  if (seconds < 5) return null;
  if (seconds < 60) return age.s(seconds);
  if (seconds < 3600) return age.min(Math.floor(seconds / 60));
  if (seconds < 86_400) return age.h(Math.floor(seconds / 3600));
  return age.d(Math.floor(seconds / 86_400));
}

/** "updated 12 s ago" / "12 秒前更新". */
export function updatedAgo(ageMs: number, lang: Lang): string {
  const age = formatAge(ageMs, lang);
  return age === null ? t(lang).justNow : t(lang).updatedAgo(age);
}

/** A distance as a driver reads it: metres to the nearest 10 below 1 km, else km with one decimal. */
export function formatDistance(metres: number, lang: Lang): string {
  const s = t(lang);
  if (metres < 995) return s.metres(Math.max(10, Math.round(metres / 10) * 10));
  return s.kilometres((metres / 1000).toFixed(metres < 9_950 ? 1 : 0));
}

/** opening_hours (OpenStreetMap syntax) in the reader's words; what it cannot read stays as written. */
export function describeOpeningHours(value: string, lang: Lang): string {
  const s = t(lang);
  if (value.trim() === '24/7') return s.open247;
  const words = value.replace(/\b(Mo|Tu|We|Th|Fr|Sa|Su|PH|off|closed)\b/g, (token) => s.hoursTokens[token as HoursToken]);
  return lang === 'zh' ? words.replace(/\s*;\s*/g, '；').replace(/,(?=\D)/g, '、') : words.replace(/\s*;\s*/g, '; ');
}

/** Whether parking costs money and what, in the reader's language (falling back to the other's words). */
export function describePrice(lot: Pick<LotView, 'fee' | 'priceInfo' | 'priceInfoEn'>, lang: Lang): string | null {
  const s = t(lang);
  const parts: string[] = [];
  if (lot.fee === true) parts.push(s.paid);
  if (lot.fee === false) parts.push(s.freeOfCharge);
  const info = lang === 'en' ? (lot.priceInfoEn ?? lot.priceInfo) : (lot.priceInfo ?? lot.priceInfoEn);
  if (info) parts.push(info);
  return parts.length ? parts.join(' · ') : null;
}

const DAY_MS = 86_400_000;
const WEEKDAYS = ['Su', 'Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa'] as const;
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock reading at `ms` in `timeZone` (the lots' zone; unset: this device's). */
function wallFields(ms: number, timeZone: string | undefined): { month: number; day: number; weekday: number; time: string } {
  const key = timeZone ?? '';
  let format = zoneFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    zoneFormats.set(key, format);
  }
  const f: Record<string, string> = {};
  for (const part of format.formatToParts(new Date(ms))) f[part.type] = part.value;
  const [year, month, day] = [Number(f.year), Number(f.month), Number(f.day)];
  return { month, day, weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(), time: `${f.hour!.padStart(2, '0')}:${f.minute!.padStart(2, '0')}` };
}

/**
 * When an opening or closing comes, on the lots' clock (`timeZone`, the
 * service's TIME_ZONE, not the phone's): "07:00" within a day (the next
 * 07:00), "周一 07:00" / "Mon 07:00" within a week, else with its date.
 */
export function formatChangeTime(atMs: number, nowMs: number, timeZone: string | undefined, lang: Lang): string {
  const s = t(lang);
  const at = wallFields(atMs, timeZone);
  if (atMs - nowMs < DAY_MS) return at.time;
  if (atMs - nowMs < 7 * DAY_MS) return `${s.hoursTokens[WEEKDAYS[at.weekday]!]} ${at.time}`;
  return `${s.monthDay(at.month, at.day)} ${at.time}`;
}

/**
 * What an open lot's opening hours say when they close it now: "closed now ·
 * opens 07:00" / "休息中 · 07:00 开放" (just "closed now" when it never opens
 * again); null when they do not close it (no hours, open now, or not an open lot).
 */
export function closedByHours(lot: Pick<LotView, 'status' | 'availability' | 'openNow' | 'opensAt'>, nowMs: number, timeZone: string | undefined, lang: Lang): string | null {
  // A live push may have opened the lot before the whole lot (with openNow) comes: availability is the truth.
  if (lot.status !== 'open' || lot.openNow !== false || lot.availability !== 'closed') return null;
  if (lot.opensAt !== null && Date.parse(lot.opensAt) <= nowMs) return null; // its opening time has come
  const s = t(lang);
  return lot.opensAt === null ? s.closedNow : `${s.closedNow} · ${s.opensAt(formatChangeTime(Date.parse(lot.opensAt), nowMs, timeZone, lang))}`;
}

/** "closes 22:00" / "22:00 关闭" for a lot its hours close within a day; null otherwise. */
export function closesSoon(lot: Pick<LotView, 'status' | 'openNow' | 'closesAt'>, nowMs: number, timeZone: string | undefined, lang: Lang): string | null {
  if (lot.status !== 'open' || lot.openNow !== true || lot.closesAt === null) return null;
  const at = Date.parse(lot.closesAt);
  return at - nowMs < DAY_MS ? t(lang).closesAt(formatChangeTime(at, nowMs, timeZone, lang)) : null;
}

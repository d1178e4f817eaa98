// The map's strings for working offline, the legend and what is announced
// to screen readers, in Chinese and English (beside i18n.ts, which holds the
// rest). Pure (no DOM), so the unit tests run it in Node.
import type { Availability } from '../../server/domain/lot.ts';
import type { Lang } from './i18n.ts';

export interface PwaStrings {
  /** The banner while the page shows what it kept: before and after the age ("updated 12 min ago"). */
  offlineBefore: string;
  offlineAfter: string;
  legendTitle: string;
  legendShow: string;
  legendHide: string;
  /** Each marker kind in the legend: what its sample shows, and what it means. */
  legend: Record<Availability, { sample: string; meaning: string }>;
  /** What the polite announcer says when a lot the driver is looking at changes. */
  announce: (name: string, state: string) => string;
}

const zh: PwaStrings = {
  offlineBefore: '离线：以下不是实时数据。停车场以灰色显示上次联网时的状态，地图数据',
  offlineAfter: '。正在重新连接……',
  legendTitle: '图例',
  legendShow: '显示图例',
  legendHide: '隐藏图例',
  legend: {
    available: { sample: '38', meaning: '有空位（数字为空位数）' },
    almost_full: { sample: '3', meaning: '即将满（!）' },
    full: { sample: '0', meaning: '已满（×）' },
    closed: { sample: '–', meaning: '未开放或休息中（方形）' },
    unknown: { sample: '–', meaning: '暂无最新数据（?，虚线）' },
  },
  announce: (name, state) => `${name}：${state}`,
};

const en: PwaStrings = {
  offlineBefore: 'Offline: nothing here is live. Car parks are shown grey, as last known; the map’s data was ',
  offlineAfter: '. Reconnecting…',
  legendTitle: 'Legend',
  legendShow: 'Show the legend',
  legendHide: 'Hide the legend',
  legend: {
    available: { sample: '38', meaning: 'spaces free (the number free)' },
    almost_full: { sample: '3', meaning: 'almost full (!)' },
    full: { sample: '0', meaning: 'full (×)' },
    closed: { sample: '–', meaning: 'not open, or closed now (square)' },
    unknown: { sample: '–', meaning: 'no recent data (?, dashed)' },
  },
  announce: (name, state) => `${name}: ${state}`,
};

const strings: Record<Lang, PwaStrings> = { zh, en };

export function pwaStrings(lang: Lang): PwaStrings {
  return strings[lang];
}

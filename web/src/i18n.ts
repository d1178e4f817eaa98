// Every string of the page in Chinese and English. The language comes from
// ?lang=zh|en, else the last choice on this device, else the browser.
import type { Availability, LotType, LotView } from '../../server/domain/lot.ts';

export type Lang = 'zh' | 'en';

const strings = {
  zh: {
    tagline: '市北区停车场实时空位',
    listTitle: '视野内的停车场',
    switchTo: 'English',
    free: '空位',
    capacity: '总车位',
    noData: '暂无数据',
    noRecentData: '无最新数据',
    updated: '更新于',
    disconnected: '连接已断开，正在重新连接…实时数据暂停。',
    empty: '视野内没有停车场。',
    availability: { available: '有空位', almost_full: '即将满', full: '已满', closed: '未开放', unknown: '未知' } as Record<Availability, string>,
    type: { surface: '地面停车场', multi_storey: '立体停车场', underground: '地下停车场', on_street: '路边停车' } as Record<LotType, string>,
  },
  en: {
    tagline: 'Live free spaces in Shibei District car parks',
    listTitle: 'Car parks in view',
    switchTo: '中文',
    free: 'free',
    capacity: 'spaces',
    noData: 'no data yet',
    noRecentData: 'no recent data',
    updated: 'updated',
    disconnected: 'Connection lost; reconnecting… Live data is paused.',
    empty: 'No car parks in view.',
    availability: { available: 'available', almost_full: 'almost full', full: 'full', closed: 'not open', unknown: 'unknown' } as Record<Availability, string>,
    type: { surface: 'surface car park', multi_storey: 'multi-storey car park', underground: 'underground car park', on_street: 'on-street parking' } as Record<LotType, string>,
  },
};

export type Strings = (typeof strings)['zh'];

export function chooseLang(search: string, stored: string | null, browserLangs: readonly string[]): Lang {
  const forced = new URLSearchParams(search).get('lang');
  if (forced === 'zh' || forced === 'en') return forced;
  if (stored === 'zh' || stored === 'en') return stored;
  return browserLangs.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

export function t(lang: Lang): Strings {
  return strings[lang];
}

/** A lot's name in the chosen language, falling back to the other. */
export function lotName(lot: Pick<LotView, 'name' | 'nameEn'>, lang: Lang): string {
  return lang === 'en' && lot.nameEn ? lot.nameEn : lot.name;
}

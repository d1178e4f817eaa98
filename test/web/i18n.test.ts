// The page's two languages (web/src/i18n.ts): pure, run in Node.
import assert from 'node:assert/strict';
import { chooseLang, closedByHours, closesSoon, describeOpeningHours, describePrice, formatChangeTime, formatDistance, LANGS, lotName, t, updatedAgo } from '../../web/src/i18n.ts';

/** Every leaf of a string table: text, or what its functions say for sample arguments. */
function leaves(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (typeof value === 'function') return [[path, String((value as (...args: unknown[]) => unknown)(3, 7))]];
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, v]) => leaves(v, path ? `${path}.${key}` : key));
  return [];
}

describe('web: Chinese and English', () => {
  it('has every string in both languages, none empty', () => {
    const [zh, en] = LANGS.map((lang) => new Map(leaves(t(lang))));
    assert.deepEqual([...zh!.keys()].sort(), [...en!.keys()].sort());
    for (const [lang, table] of [['zh', zh!], ['en', en!]] as const) {
      for (const [key, text] of table) assert.ok(text.trim().length > 0, `${lang}.${key} is empty`);
    }
  });

  it('chooses ?lang= first, then the choice stored on the device, then the browser’s languages in order, else English', () => {
    assert.equal(chooseLang('?lang=en', 'zh', ['zh-CN']), 'en');
    assert.equal(chooseLang('?lang=zh', 'en', ['en-US']), 'zh');
    assert.equal(chooseLang('?lang=fr', 'zh', ['en-US']), 'zh');
    assert.equal(chooseLang('', null, ['zh-TW', 'en']), 'zh');
    assert.equal(chooseLang('', null, ['de-DE', 'en-GB', 'zh-CN']), 'en');
    assert.equal(chooseLang('', null, ['ja-JP']), 'en');
  });

  it('names a lot in the reader’s language, falling back to the Chinese name', () => {
    assert.equal(lotName({ name: '南丰路停车场', nameEn: 'Nanfeng Rd Car Park' }, 'en'), 'Nanfeng Rd Car Park');
    assert.equal(lotName({ name: '南丰路停车场', nameEn: 'Nanfeng Rd Car Park' }, 'zh'), '南丰路停车场');
    assert.equal(lotName({ name: '南丰路停车场', nameEn: null }, 'en'), '南丰路停车场');
  });

  it('says how old data is', () => {
    assert.equal(updatedAgo(2_000, 'en'), 'updated just now');
    assert.equal(updatedAgo(12_000, 'en'), 'updated 12 s ago');
    assert.equal(updatedAgo(12_000, 'zh'), '12 秒前更新');
    assert.equal(updatedAgo(150_000, 'zh'), '2 分钟前更新');
    assert.equal(updatedAgo(3 * 3600_000, 'en'), 'updated 3 h ago');
    assert.equal(updatedAgo(-30_000, 'en'), 'updated just now', 'a clock slightly ahead is not "in the future"');
  });

  it('says distances in metres (to 10) below 1 km, then in km', () => {
    assert.equal(formatDistance(3, 'en'), '10 m');
    assert.equal(formatDistance(347, 'zh'), '350 米');
    assert.equal(formatDistance(1_234, 'en'), '1.2 km');
    assert.equal(formatDistance(23_456, 'zh'), '23 公里');
  });

  it('reads opening hours in OpenStreetMap syntax out in words, and leaves what it cannot read as written', () => {
    assert.equal(describeOpeningHours('24/7', 'zh'), '24 小时开放');
    assert.equal(describeOpeningHours('Mo-Fr 07:00-22:00; Sa,Su 08:00-20:00', 'en'), 'Mon-Fri 07:00-22:00; Sat,Sun 08:00-20:00');
    assert.equal(describeOpeningHours('Mo-Fr 07:00-22:00; Sa,Su 08:00-20:00; PH off', 'zh'), '周一-周五 07:00-22:00；周六、周日 08:00-20:00；节假日 关闭');
    assert.equal(describeOpeningHours('sunrise-sunset', 'en'), 'sunrise-sunset');
  });

  it('says a lot its hours close now is "closed now" and when it opens, on the lots’ clock, not the device’s', () => {
    const now = Date.parse('2026-11-25T23:30:00+08:00'); // a Wednesday night in Qingdao
    const opensAt = '2026-11-25T23:00:00.000Z'; // Thursday 07:00 there
    const lot = { status: 'open' as const, availability: 'closed' as const, openNow: false, opensAt };
    assert.equal(closedByHours(lot, now, 'Asia/Shanghai', 'en'), 'closed now · opens 07:00');
    assert.equal(closedByHours(lot, now, 'Asia/Shanghai', 'zh'), '休息中 · 07:00 开放');
    assert.equal(closedByHours(lot, now, 'Europe/Berlin', 'en'), 'closed now · opens 00:00', 'in the zone it is given');
    assert.equal(closedByHours({ ...lot, opensAt: null }, now, 'Asia/Shanghai', 'zh'), '休息中', 'never opens again');
    assert.equal(closedByHours({ ...lot, openNow: true }, now, 'Asia/Shanghai', 'en'), null);
    assert.equal(closedByHours({ ...lot, openNow: null }, now, 'Asia/Shanghai', 'en'), null);
    assert.equal(closedByHours({ ...lot, status: 'closed' }, now, 'Asia/Shanghai', 'en'), null);
    assert.equal(closedByHours({ ...lot, availability: 'available' }, now, 'Asia/Shanghai', 'en'), null, 'a live push opened it before the whole lot came');
    assert.equal(closedByHours(lot, Date.parse(opensAt) + 1000, 'Asia/Shanghai', 'en'), null, 'its opening time has come');
  });

  it('says an opening more than a day away with its weekday, more than a week away with its date', () => {
    const saturday = Date.parse('2026-11-28T09:00:00+08:00');
    assert.equal(formatChangeTime(Date.parse('2026-11-30T07:00:00+08:00'), saturday, 'Asia/Shanghai', 'en'), 'Mon 07:00');
    assert.equal(formatChangeTime(Date.parse('2026-11-30T07:00:00+08:00'), saturday, 'Asia/Shanghai', 'zh'), '周一 07:00');
    assert.equal(formatChangeTime(Date.parse('2026-12-08T07:30:00+08:00'), saturday, 'Asia/Shanghai', 'en'), '8 Dec 07:30');
    assert.equal(formatChangeTime(Date.parse('2026-12-08T07:30:00+08:00'), saturday, 'Asia/Shanghai', 'zh'), '12月8日 07:30');
    assert.equal(formatChangeTime(Date.parse('2026-11-29T00:00:00+08:00'), saturday, 'Asia/Shanghai', 'en'), '00:00');
  });

  it('says when an open lot closes, within a day', () => {
    const now = Date.parse('2026-11-25T21:30:00+08:00');
    const lot = { status: 'open' as const, openNow: true, closesAt: '2026-11-25T14:00:00.000Z' };
    assert.equal(closesSoon(lot, now, 'Asia/Shanghai', 'en'), 'closes 22:00');
    assert.equal(closesSoon(lot, now, 'Asia/Shanghai', 'zh'), '22:00 关闭');
    assert.equal(closesSoon({ ...lot, closesAt: '2026-11-28T14:00:00.000Z' }, now, 'Asia/Shanghai', 'en'), null);
    assert.equal(closesSoon({ ...lot, closesAt: null }, now, 'Asia/Shanghai', 'en'), null);
  });

  it('says whether parking costs money and what, in the reader’s language when the operator wrote it', () => {
    assert.equal(describePrice({ fee: true, priceInfo: '每小时 5 元', priceInfoEn: 'CNY 5 per hour' }, 'en'), 'paid parking · CNY 5 per hour');
    assert.equal(describePrice({ fee: true, priceInfo: '每小时 5 元', priceInfoEn: null }, 'en'), 'paid parking · 每小时 5 元');
    assert.equal(describePrice({ fee: false, priceInfo: null, priceInfoEn: null }, 'zh'), '免费');
    assert.equal(describePrice({ fee: null, priceInfo: null, priceInfoEn: null }, 'zh'), null);
  });
});

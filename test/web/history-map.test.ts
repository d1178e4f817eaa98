// History and forecasts on the drivers' map, in headless Chromium with no
// internet: a lot given five weeks of history (the import API) shows its day
// in its popup — today so far, the forecast for the rest of it dashed over
// its band, the usual for the weekday, now — and "arrive in" switches the
// markers and the list to forecasts ("≈N", their own style, under a banner),
// which live pushes never overwrite, until "now" brings the live counts back.
// Both languages, a desktop and a phone; the service's clock is the test's.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { LotView } from '../../server/domain/lot.ts';
import { localDay } from '../../server/domain/zone.ts';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { connectMqtt, eventually, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';
import { AXE_CONTEXT, describeViolations, seriousViolations } from '../helpers/axe.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';
import { clockTime } from '../../web/src/charts/series.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';
import { busyByDay, DAY, historyCsv, importHistory, MIN, wallClock } from '../helpers/occupancy.ts';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 860 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const TZ = TEST_TIME_ZONE;
/** A Wednesday morning on the lots' clock. */
const NOW = zonedTime('2026-11-25T10:00', TZ);
const marker = (id: string) => `.lot-marker[data-lot-id="${id}"]`;
const item = (id: string) => `#lot-list [data-lot-id="${id}"]`;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * nanfeng-rd (150 spaces): busy by day, each day a little different, and
 * nothing known today from 06:00 to 07:00 (its sensor was down: the 05:55
 * count holds until its 15-minute stale threshold, then a gap).
 */
function nanfeng(at: number): number | null {
  const { hour } = wallClock(at, TZ);
  if (at > NOW - DAY && hour >= 6 && hour < 7) return null;
  const swing = ((localDay(at, TZ) * 37) % 21) - 10;
  return Math.max(0, Math.min(150, busyByDay(at, TZ) + (hour > 7 && hour < 20 ? swing : 0)));
}

/** Counts a canvas's pixels by kind: the history/forecast line's blue, the band's tint, left and right of "now". */
async function chartPixels(page: Page): Promise<{ painted: number; blueLeft: number; blueRight: number; bandLeft: number; bandRight: number; gapBlue: number }> {
  return page.evaluate(({ dayStart, dayEnd, gapAt }) => {
    const box = document.querySelector<HTMLElement>('.lot-popup .outlook-chart')!;
    const canvas = box.querySelector('canvas')!;
    const over = box.querySelector<HTMLElement>('.u-over')!;
    const ratio = canvas.width / canvas.getBoundingClientRect().width;
    const nowX = Number(box.dataset.nowX) * ratio;
    const left = over.offsetLeft * ratio;
    const width = over.offsetWidth * ratio;
    const top = over.offsetTop * ratio;
    const height = over.offsetHeight * ratio;
    const gapX = left + ((gapAt - dayStart) / (dayEnd - dayStart)) * width;
    const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const counts = { painted: 0, blueLeft: 0, blueRight: 0, bandLeft: 0, bandRight: 0, gapBlue: 0 };
    // (No named helper inside evaluate: the test's compiler would wrap it in a helper the page does not have.)
    for (let x = Math.floor(left); x < left + width; x++) {
      // The band is the lines' blue at 20 % (alpha about 51) over the transparent canvas: a run of such pixels
      // down a column. (A line's anti-aliased edge is a pixel or two, never a run.)
      let run = 0;
      let band = false;
      for (let y = Math.floor(top); y < top + height; y++) {
        const i = (y * canvas.width + x) * 4;
        const alpha = data[i + 3]!;
        const blue = Math.abs(data[i]! - 11) <= 40 && Math.abs(data[i + 1]! - 92) <= 40 && Math.abs(data[i + 2]! - 173) <= 40;
        if (alpha > 0) counts.painted++;
        run = blue && alpha >= 38 && alpha <= 66 ? run + 1 : 0;
        if (run >= 3) band = true;
        if (blue && alpha > 200) {
          if (x < nowX - 2) counts.blueLeft++;
          if (x > nowX + 2) counts.blueRight++;
          if (Math.abs(x - gapX) <= 1.5 * ratio) counts.gapBlue++;
        }
      }
      if (band && x < nowX - 2) counts.bandLeft++;
      if (band && x > nowX + 2) counts.bandRight++;
    }
    return counts;
  }, { dayStart: zonedTime('2026-11-25T00:00', TZ), dayEnd: zonedTime('2026-11-26T00:00', TZ), gapAt: zonedTime('2026-11-25T06:45', TZ) });
}

describe('web: history and forecasts on the drivers’ map', function () {
  this.timeout(120_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let page: Page;
  let external: string[] = [];
  let problems: string[] = [];
  const clock = runningClock(NOW);

  const open = async (lang: 'zh' | 'en', options: BrowserContextOptions, extra: BrowserContextOptions = {}) => {
    ({ page, external } = await offlinePage(browser, { ...options, ...extra }));
    problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => msg.text().startsWith('CSP ') && problems.push(msg.text()));
    await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`)));
    await page.goto(`${t.app.httpUrl}/?lang=${lang}`);
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '50');
  };

  /** The forecast the service gives nanfeng-rd for an arrival, once made. */
  const forecastFor = async (at: number) => {
    const { body } = await eventually(async () => {
      const answer = await getJson<{ lots: LotView[] }>(t.app.httpUrl, `/api/lots?near=36.112,120.382&radius=500&arriveAt=${encodeURIComponent(iso(at))}`);
      return answer.body.lots.every((l) => !/not_ready/.test(l.forecast?.reason ?? '')) && answer;
    }, 30_000, 'the forecasts made');
    return body.lots.find((l) => l.id === 'nanfeng-rd')!.forecast!;
  };

  before(async function () {
    // (The clock was made when mocha loaded the file, maybe minutes ago: from NOW again, before the service starts.)
    clock.set(NOW);
    browser = await launchBrowser(this);
    t = await startApp({ ADMIN_TOKEN, PUSH_INTERVAL_MS: '100', WRITE_RATE_LIMIT: '100000' }, { clock });
    await importHistory(t.app.httpUrl, 'nanfeng-rd', historyCsv('nanfeng-rd', NOW - 35 * DAY, NOW - 5 * MIN, nanfeng));
    mqtt = await connectMqtt(t.app.mqtt.url);
    await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 100 });
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  beforeEach(async () => {
    await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 100 });
  });
  afterEach(async () => {
    assert.deepEqual(external, [], 'only map tiles may come from elsewhere');
    assert.deepEqual(problems, [], 'no page errors, no Content-Security-Policy violations');
    await page?.close();
  });

  const words = {
    zh: { legend: ['今天', '预测（80% 区间）', '平常的周三', '现在 '], summary: /^今日空位图表（共 150 个车位）。今天到现在 \d\d:\d\d 前后空位最少，约 \d+ 个。预测 \d\d:\d\d 前后空位最少，约 \d+ 个。平常的周三 \d\d:\d\d 前后空位最少，约 \d+ 个。$/ },
    en: { legend: ['Today', 'Forecast (80 % range)', 'Usual Wednesday', 'Now '], summary: /^Chart of free spaces today, of 150\. So far today: fewest around \d\d:\d\d, about \d+ free\. Forecast: fewest around \d\d:\d\d, about \d+ free\. On a usual Wednesday: fewest around \d\d:\d\d, about \d+ free\.$/ },
  };

  for (const lang of ['zh', 'en'] as const) {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      it(`draws a lot’s day in its popup (${lang}, ${device}): today so far with its gap, the forecast after now dashed over its band, the usual Wednesday, now`, async () => {
        await open(lang, options);
        await page.click(`${item('nanfeng-rd')} button`);
        const chart = page.locator('.lot-popup[data-lot-id="nanfeng-rd"] .outlook-chart');
        await chart.locator('canvas').waitFor();
        await page.waitForFunction(() => document.querySelector<HTMLElement>('.lot-popup .outlook-chart')?.dataset.nowX !== undefined);
        const legend = await page.$$eval('.lot-popup .outlook-legend li', (items) => items.map((li) => li.textContent ?? ''));
        // "Now" is the page's time: the service's clock, which runs on from 10:00 while the tests do.
        const nows = [clockTime(clock() - 60_000, TZ), clockTime(clock(), TZ)];
        assert.ok(nows.some((time) => legend[3] === `${words[lang].legend[3]}${time}`), `${legend[3]} is now, ${nows.join(' or ')}`);
        assert.deepEqual(legend.slice(0, 3), words[lang].legend.slice(0, 3));
        assert.equal(await chart.getAttribute('role'), 'img');
        assert.match((await chart.getAttribute('aria-label')) ?? '', words[lang].summary);
        // The forecast's swatch is dashed over a tint, today's solid: as the chart draws them.
        const swatches = await page.$$eval('.lot-popup .swatch', (els) => els.map((e) => `${e.className.replace('swatch ', '')} ${getComputedStyle(e).borderTopStyle} ${getComputedStyle(e).backgroundColor}`));
        assert.equal(swatches[0], 'swatch-today solid rgba(0, 0, 0, 0)');
        assert.match(swatches[1]!, /^swatch-forecast dashed rgba\(11, 92, 173, 0\.2\)$/);
        const pixels = await chartPixels(page);
        assert.ok(pixels.painted > 2000, `the chart is drawn: ${JSON.stringify(pixels)}`);
        assert.ok(pixels.blueLeft > 100, `today’s line, before now: ${JSON.stringify(pixels)}`);
        assert.ok(pixels.bandRight > 10, `the forecast’s band, after now (columns): ${JSON.stringify(pixels)}`);
        assert.equal(pixels.bandLeft, 0, `no band before now (columns): the past is history, not a forecast: ${JSON.stringify(pixels)}`);
        assert.equal(pixels.gapBlue, 0, `nothing drawn where nothing was known (06:30–07:00): ${JSON.stringify(pixels)}`);
        await page.waitForTimeout(300);
        await page.screenshot({ path: `${ARTIFACTS_DIR}/history-popup-${lang}-${device}.png` });
      });
    }
  }

  it('passes axe-core with the chart in a popup and in "arrive in" mode', async () => {
    await open('en', DESKTOP, AXE_CONTEXT);
    await page.click(`${item('nanfeng-rd')} button`);
    await page.locator('.lot-popup .outlook-chart canvas').waitFor();
    await page.waitForTimeout(400); // the popup fades in
    let violations = await seriousViolations(page);
    assert.deepEqual(violations.map((v) => v.id), [], describeViolations(violations));
    await page.keyboard.press('Escape');
    await page.locator('.lot-popup').waitFor({ state: 'detached' });
    await page.click('#arrival [data-arrive="30"]');
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent?.startsWith('≈'));
    violations = await seriousViolations(page);
    assert.deepEqual(violations.map((v) => v.id), [], describeViolations(violations));
  });

  for (const [lang, device, options] of [['zh', 'desktop', DESKTOP], ['en', 'phone', PHONE]] as const) {
    it(`switches markers and list to the forecasts for "arrive in 30 min", which pushes never overwrite, and back to live counts on "now" (${lang}, ${device})`, async () => {
      await open(lang, options);
      await page.click('#arrival [data-arrive="30"]');
      // The arrival the page shows (its clock, the service's, plus 30 minutes), and the service's forecast for it.
      const at = Number(await page.waitForFunction(() => document.getElementById('forecast-banner')?.dataset.at).then((h) => h.jsonValue()));
      assert.ok(Math.abs(at - (clock() + 30 * MIN)) < 5000, 'in 30 minutes');
      const time = clockTime(at, TZ);
      const expected = Math.round((await forecastFor(at)).free!);
      await page.waitForFunction((text) => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === text, `≈${expected}`, { timeout: 15_000 });
      assert.match((await page.getAttribute(marker('nanfeng-rd'), 'class')) ?? '', /\bforecast\b/);
      assert.equal(await page.textContent(`${item('nanfeng-rd')} .free`), `≈${expected}`);
      assert.match((await page.getAttribute(`${item('nanfeng-rd')} .free`, 'class')) ?? '', /\bforecast\b/);
      // No forecast without history: "?", never 0; a lot not open stays closed.
      // (The list: on a phone's small map, some markers are in clusters or out of view.)
      await page.waitForFunction(() => document.querySelector('#lot-list [data-lot-id="liaocheng-rd"] .free')?.textContent === '?');
      assert.equal(await page.textContent(`${item('hangzhou-rd-7')} .free`), '–');
      assert.match((await page.getAttribute(`${item('hangzhou-rd-7')} .free`, 'class')) ?? '', /\bav-closed\b/);
      const banner = page.locator('#forecast-banner');
      assert.equal(await banner.isVisible(), true);
      assert.ok(((await banner.textContent()) ?? '').includes(lang === 'zh' ? `预计 ${time} 的空位：这是预测，不是实时数据。` : `Expected free spaces at ${time}: forecasts, not live counts.`));
      const label = (await page.locator(`.leaflet-marker-icon:has(${marker('nanfeng-rd')})`).getAttribute('aria-label')) ?? '';
      assert.ok(label.includes(lang === 'zh' ? `预计 ${time} 约 ${expected} 个空位` : `≈${expected} free expected at ${time}`), label);
      assert.ok(((await page.textContent(`${item('liaocheng-rd')} .sub`)) ?? '').includes(lang === 'zh' ? `${time} 暂无预测：历史数据不足` : `no forecast for ${time}: not enough history yet`));
      await page.screenshot({ path: `${ARTIFACTS_DIR}/history-arrive-${lang}-${device}.png` });

      // A live count arrives: the popup says it, the marker and the list keep the forecast.
      await page.click(`${item('nanfeng-rd')} button`);
      await page.locator('.lot-popup .popup-forecast').waitFor();
      assert.ok(((await page.textContent('.lot-popup .popup-forecast')) ?? '').startsWith(lang === 'zh' ? `≈ 预计 ${time} 约 ${expected} 个空位` : `≈${expected} free expected at ${time}`));
      await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 120 });
      await page.waitForFunction((text) => document.querySelector('.lot-popup .popup-live')?.textContent === text, lang === 'zh' ? '空位 30 / 共 150' : '30 free of 150', { timeout: 10_000 });
      await page.waitForTimeout(300);
      assert.equal(await page.textContent(marker('nanfeng-rd')), `≈${expected}`, 'a push does not overwrite the forecast');
      assert.equal(await page.textContent(`${item('nanfeng-rd')} .free`), `≈${expected}`);
      if (device === 'desktop') await page.screenshot({ path: `${ARTIFACTS_DIR}/history-arrive-${lang}-popup.png` });

      // "Now": the live counts again, the newest one included.
      await page.keyboard.press('Escape');
      await page.click('#forecast-banner .forecast-back');
      await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '30');
      assert.doesNotMatch((await page.getAttribute(marker('nanfeng-rd'), 'class')) ?? '', /\bforecast\b/);
      assert.equal(await page.textContent(`${item('nanfeng-rd')} .free`), '30');
      assert.equal(await page.textContent(`${item('liaocheng-rd')} .free`), '–');
      assert.equal(await banner.isVisible(), false);
      assert.equal(await page.getAttribute('#arrival [data-arrive="now"]', 'aria-pressed'), 'true');
    });
  }

  it('takes an arrival time of day on the lots’ clock: the forecasts for 18:00 today', async () => {
    const expected = Math.round((await forecastFor(zonedTime('2026-11-25T18:00', TZ))).free!);
    await open('en', DESKTOP);
    await page.fill('#arrival-time', '18:00');
    await page.waitForFunction((text) => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === text, `≈${expected}`, { timeout: 15_000 });
    assert.match((await page.textContent('#forecast-banner')) ?? '', /at 18:00/);
    assert.equal(await page.getAttribute('#arrival [data-arrive="now"]', 'aria-pressed'), 'false');
    await page.click('#arrival [data-arrive="now"]');
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '50');
    assert.equal(await page.inputValue('#arrival-time'), '');
  });
});

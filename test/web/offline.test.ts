// Install and offline, in headless Chromium: after one visit the map opens
// with no network — the browser offline, and then the service stopped — and
// shows the lots it last showed, grey with their age, never a live number,
// under an offline banner; once the service answers again, it is live again.
// Both languages, on a desktop and on a phone. The clock is the test's.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser } from '../helpers/browser.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const marker = (id: string) => `.lot-marker[data-lot-id="${id}"]`;
const item = (id: string) => `#lot-list [data-lot-id="${id}"]`;
/** Counts sent five minutes before "now": fresh (the threshold is 15 min), and five minutes old when shown offline. */
const COUNTS: Record<string, number> = { 'nanfeng-rd': 112, 'liaocheng-rd': 55, 'siji-dormitory': 190, 'cruise-port': 140 };
const FIVE_MIN_MS = 5 * 60_000;

describe('web: install and offline — the map opens with no network and shows what it last knew, greyed', function () {
  this.timeout(120_000);
  let browser: Browser;
  const clock = runningClock(zonedTime('2026-11-25T10:00', TEST_TIME_ZONE));
  const apps: TestApp[] = [];
  let context: BrowserContext | undefined;

  before(async function () {
    browser = await launchBrowser(this);
  });
  after(async () => {
    await browser?.close();
    for (const t of apps) await t.stop().catch(() => {});
  });
  afterEach(async () => {
    await context?.close().catch(() => {});
    context = undefined;
  });

  async function start(dataDir: string, port?: number): Promise<TestApp> {
    const t = await startApp({ PUSH_INTERVAL_MS: '100', ...(port ? { PORT: String(port) } : {}) }, { clock, dataDir });
    apps.push(t);
    return t;
  }

  async function sendCounts(t: TestApp): Promise<void> {
    const mqtt = await connectMqtt(t.app.mqtt.url);
    for (const [id, occupied] of Object.entries(COUNTS)) await publish(mqtt, `parking/lots/${id}/count`, { occupied, ts: clock() - FIVE_MIN_MS });
    await mqtt.endAsync();
  }

  /** What the page shows of every lot: marker and list texts, and the marker classes. */
  const shown = (page: Page) => page.evaluate(() => ({
    markers: [...document.querySelectorAll<HTMLElement>('.lot-marker[data-lot-id]')].map((m) => `${m.dataset.lotId} ${m.className} ${m.textContent}`),
    badges: [...document.querySelectorAll<HTMLElement>('#lot-list [data-lot-id] .free')].map((b) => b.textContent),
  }));

  it('is installable: Chromium reads the manifest of the page’s language with no error, and names no reason it could not install it', async () => {
    const t = await startApp({}, { clock });
    apps.push(t);
    context = await browser.newContext({ ...PHONE, locale: 'en-GB' });
    await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
    const page = await context.newPage();
    await page.goto(`${t.app.httpUrl}/?lang=en`);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });
    const cdp = await context.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest' as never)) as { url: string; errors: unknown[]; data: string };
    assert.equal(manifest.url, `${t.app.httpUrl}/manifest.en.webmanifest`);
    assert.deepEqual(manifest.errors, []);
    assert.equal(JSON.parse(manifest.data).short_name, 'Kongwei');
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors' as never)) as { installabilityErrors: { errorId: string }[] };
    // Playwright's browser contexts are off the record, which alone keeps Chromium from offering to install.
    assert.deepEqual(installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito'), []);
    // The language switch links the other manifest.
    await page.click('#lang-toggle');
    assert.equal(await page.getAttribute('link[rel="manifest"]', 'href'), '/manifest.zh.webmanifest');
    await t.stop();
  });

  for (const [lang, device, options] of [['zh', 'desktop', DESKTOP], ['en', 'phone', PHONE]] as const) {
    it(`opens offline after one visit (${lang}, ${device}): the lots grey with their age, no live number, an offline banner; live again once the service answers`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-offline-'));
      try {
        const t = await start(dataDir);
        await sendCounts(t);
        context = await browser.newContext({ ...options, locale: lang === 'zh' ? 'zh-CN' : 'en-GB' });
        const page = await context.newPage();
        const problems: string[] = [];
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        page.on('console', (msg) => msg.text().startsWith('CSP ') && problems.push(msg.text()));
        await page.addInitScript(() =>
          document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`)));
        await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());

        // Online: live counts, then the service worker takes the page and the lots are kept.
        await page.goto(`${t.app.httpUrl}/?lang=${lang}`);
        await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '38', undefined, { timeout: 20_000 });
        await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, { timeout: 20_000 });
        await page.waitForFunction(() => document.body.dataset.keptAt !== undefined, undefined, { timeout: 20_000 });
        assert.equal(await page.getAttribute('link[rel="manifest"]', 'href'), `/manifest.${lang}.webmanifest`);

        const assertOffline = async (why: string, screenshot?: string) => {
          assert.equal(await page.evaluate(() => document.body.dataset.offlineCopy !== undefined), true, `${why}: the worker's copy of the page`);
          await page.locator(marker('nanfeng-rd')).waitFor({ timeout: 20_000 });
          // Every lot kept is listed (a phone's narrow map draws only the markers in view).
          await page.waitForFunction(() => document.querySelectorAll('#lot-list [data-lot-id]').length === 9);
          const { markers, badges } = await shown(page);
          for (const m of markers) {
            assert.doesNotMatch(m, /\d+$/, `${why}: no number on a marker: ${m}`);
            assert.match(m, /\bav-(unknown|closed)\b/, `${why}: grey: ${m}`);
          }
          assert.match(markers.find((m) => m.startsWith('nanfeng-rd '))!, /\bav-unknown\b/);
          assert.ok(markers.length >= 3, `${why}: markers drawn: ${markers.length}`);
          assert.match((await page.getAttribute(`${item('hangzhou-rd-7')} .free`, 'class')) ?? '', /\bav-closed\b/, 'a lot not open stays closed');
          assert.ok(badges.length === 9 && badges.every((b) => b === '–'), `${why}: no number in the list: ${badges.join(' ')}`);
          assert.match((await page.textContent(`${item('nanfeng-rd')} .sub`)) ?? '', lang === 'zh' ? /暂无最新数据/ : /no recent data/);
          assert.match((await page.textContent(`${item('nanfeng-rd')} .since`)) ?? '', lang === 'zh' ? /^5 分钟前更新$/ : /^updated 5 min ago$/, `${why}: the list says how old`);
          const banner = page.locator('#connection-banner');
          assert.equal(await banner.isVisible(), true, `${why}: the offline banner`);
          assert.match((await banner.textContent()) ?? '', lang === 'zh' ? /^离线：以下不是实时数据。.*前更新|刚刚更新/ : /^Offline: nothing here is live\..*(ago|just now)/);

          if (screenshot) {
            mkdirSync(ARTIFACTS_DIR, { recursive: true });
            await page.screenshot({ path: `${ARTIFACTS_DIR}/${screenshot}` });
          }
          if (device === 'phone') await page.click('#sheet-toggle');
          await page.click(`${item('nanfeng-rd')} button`);
          const popup = page.locator('.lot-popup[data-lot-id="nanfeng-rd"]');
          await popup.waitFor();
          const text = (await popup.textContent()) ?? '';
          assert.match(text, lang === 'zh' ? /暂无最新数据/ : /no recent data/, `${why}: the popup`);
          assert.match(text, lang === 'zh' ? /5 分钟前更新/ : /updated 5 min ago/);
          assert.doesNotMatch(text, lang === 'zh' ? /空位 \d/ : /\d+ free of/, `${why}: no live count in the popup`);
          assert.equal(await page.locator('.lot-popup .popup-live.av-unknown').count(), 1);
        };

        // 1. The browser offline (the service still up).
        await context.setOffline(true);
        await page.reload();
        await assertOffline('browser offline', `map-offline-${lang}-${device}.png`);

        // 2. The network back, but the service stopped.
        await context.setOffline(false);
        const port = t.app.httpPort;
        await t.stop();
        await page.reload();
        await assertOffline('service stopped');

        // 3. The service answers again (its live store empty): live data replaces what was kept, the banner goes.
        const again = await start(dataDir, port);
        await page.locator('#connection-banner').waitFor({ state: 'hidden', timeout: 30_000 });
        assert.equal(await page.evaluate(() => document.getElementById('connection-banner')!.dataset.offline), undefined);
        const mqtt = await connectMqtt(again.app.mqtt.url);
        await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 100 });
        await mqtt.endAsync();
        await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '50', undefined, { timeout: 20_000 });
        assert.match((await page.getAttribute(marker('nanfeng-rd'), 'class')) ?? '', /\bav-available\b/);
        await again.stop();
        assert.deepEqual(problems, []);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

// The map on a phone (390 × 844, touch): a bottom sheet for the list, no
// sideways scrolling, targets a thumb can hit; and a first load light enough
// for a phone on a weak connection.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';

const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const FIRST_LOAD_BUDGET_BYTES = 300 * 1024;

/** Interactive elements that are visible and smaller than 44 × 44 CSS px (inline links in the attribution excepted). */
function smallTargets(page: Page) {
  return page.evaluate(() => {
    const selector = 'button, a[href], input, select, [tabindex="0"], [role="button"], .leaflet-marker-icon';
    return [...document.querySelectorAll<HTMLElement>(selector)]
      .filter((el) => !el.closest('.leaflet-control-attribution'))
      .map((el) => ({ el, box: el.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0)
      // (a hair of tolerance: boxes moved by sub-pixel transforms measure 43.99999…)
      .filter(({ box }) => box.width < 43.9 || box.height < 43.9)
      .map(({ el, box }) => `${el.tagName.toLowerCase()}.${el.className} ${box.width}×${box.height}`);
  });
}

describe('web: the map on a phone', function () {
  this.timeout(60_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let page: Page;

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ PUSH_INTERVAL_MS: '100' });
    mqtt = await connectMqtt(t.app.mqtt.url);
    const counts: Record<string, number> = { 'nanfeng-rd': 112, 'liaocheng-rd': 55, 'siji-dormitory': 190, 'anshan-5th-rd': 24, 'cruise-port': 140, 'ruidao-rd': 30 };
    for (const [id, occupied] of Object.entries(counts)) await publish(mqtt, `parking/lots/${id}/count`, { occupied });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  afterEach(async () => {
    await page?.close();
  });

  for (const lang of ['zh', 'en'] as const) {
    it(`lays out for a 390 × 844 phone in ${lang}: list as a bottom sheet, no sideways scrolling, 44 px targets`, async () => {
      ({ page } = await offlinePage(browser, PHONE));
      await page.goto(`${t.app.httpUrl}/?lang=${lang}`);
      await page.locator('.lot-marker[data-lot-id="nanfeng-rd"]').waitFor();
      await page.waitForFunction(() => document.querySelector('#lot-list [data-lot-id="nanfeng-rd"] .free')?.textContent === '38');

      const width = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth }));
      assert.ok(width.scroll <= width.inner && width.body <= width.inner, `no horizontal scrolling: ${JSON.stringify(width)}`);

      const sheet = async () => page.evaluate(() => {
        const panel = document.getElementById('panel')!.getBoundingClientRect();
        const map = document.getElementById('map')!.getBoundingClientRect();
        return { top: panel.top, bottom: panel.bottom, left: panel.left, width: panel.width, mapBottom: map.bottom, mapWidth: map.width };
      });
      const closed = await sheet();
      assert.equal(closed.bottom, 844, 'the sheet sits on the bottom edge');
      assert.deepEqual([closed.left, closed.width, closed.mapWidth], [0, 390, 390], 'map and sheet span the width');
      assert.ok(closed.top > 844 / 2 && closed.mapBottom <= closed.top + 1, `the map keeps the top half: ${JSON.stringify(closed)}`);
      assert.ok(await page.isVisible('#lot-list [data-lot-id] >> nth=0'), 'the nearest lot peeks out of the closed sheet');

      assert.deepEqual(await smallTargets(page), [], 'every target is at least 44 × 44 px');
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/map-phone-${lang}.png` });

      await page.click('#sheet-toggle');
      assert.equal(await page.getAttribute('#sheet-toggle', 'aria-expanded'), 'true');
      const open = await sheet();
      assert.ok(open.top < 844 / 2 && open.bottom === 844, `the opened sheet covers most of the screen: ${JSON.stringify(open)}`);
      await page.click('#lot-list [data-lot-id="nanfeng-rd"] button');
      await page.locator('.lot-popup[data-lot-id="nanfeng-rd"]').waitFor();
      await page.waitForTimeout(800); // the popup fades in and the map pans to fit it
      assert.deepEqual(await smallTargets(page), [], 'the popup’s targets too');
      await page.screenshot({ path: `${ARTIFACTS_DIR}/map-phone-${lang}-popup.png` });
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= 390, `still no horizontal scrolling with a popup open: ${scroll}`);
    });
  }

  it('loads the page, compressed (gzip or brotli), in under 300 KB on the wire, everything from the service itself', async () => {
    let external: string[];
    ({ page, external } = await offlinePage(browser, PHONE));
    const transfers: { url: string; bytes: number; encoding: string | undefined }[] = [];
    page.on('requestfinished', async (request) => {
      const url = new URL(request.url());
      if (url.hostname !== '127.0.0.1') return;
      const [sizes, response] = await Promise.all([request.sizes(), request.response()]);
      transfers.push({ url: url.pathname, bytes: sizes.responseBodySize + sizes.responseHeadersSize, encoding: (await response?.allHeaders())?.['content-encoding'] });
    });
    await page.goto(t.app.httpUrl);
    await page.locator('.lot-marker[data-lot-id="nanfeng-rd"]').waitFor();
    await page.waitForLoadState('networkidle');
    const total = transfers.reduce((sum, t) => sum + t.bytes, 0);
    console.log(`      first load: ${(total / 1024).toFixed(1)} KB over ${transfers.length} requests (${transfers.map((t) => `${t.url} ${(t.bytes / 1024).toFixed(1)} KB`).join(', ')})`);
    assert.ok(total < FIRST_LOAD_BUDGET_BYTES, `first load ${total} bytes`);
    for (const path of ['/app.js', '/vendor/leaflet/leaflet.css', '/static/app.css']) {
      assert.match(transfers.find((t) => t.url === path)?.encoding ?? '', /^(gzip|br)$/, `${path} is compressed`);
    }
    assert.deepEqual(external, [], 'nothing but tiles from elsewhere');
  });
});

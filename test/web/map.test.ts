// The drivers' map in a real browser, with no internet: markers and the list
// come from the service itself; map tiles are blocked and must not matter.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { MqttClient } from 'mqtt';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser } from '../helpers/browser.ts';

const ARTIFACTS = 'test-artifacts';

describe('web: the live map in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let page: Page;

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ PUSH_INTERVAL_MS: '100' });
    // An operator-supplied name full of markup: it must show as text.
    await t.app.db('lots').insert({
      id: 'xss-test', name: '<img src=x onerror="window.__xss=1"><b>bold</b>', name_en: '<script>window.__xss=2</script>',
      address: '"><svg onload=window.__xss=3>', lat: 36.09, lon: 120.36, type: 'surface', status: 'open', capacity: 5,
      created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
    });
    await t.app.catalog.reload();
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  after(async () => {
    await page?.close().catch(() => {});
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'zh-CN' });
    // No internet here: tiles fail fast, as they would offline.
    await page.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => route.abort());
    const external: string[] = [];
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (!['127.0.0.1', 'localhost'].includes(url.hostname) && !url.hostname.endsWith('tile.openstreetmap.org')) external.push(req.url());
    });
    page.on('close', () => assert.deepEqual(external, [], 'only tiles may come from elsewhere'));
  });
  afterEach(async () => {
    await page.close();
  });

  it('shows a marker and a list entry for every lot, tiles or not', async () => {
    await page.goto(t.app.httpUrl);
    await page.waitForFunction(() => document.querySelectorAll('.lot-marker[data-lot-id]').length === 10);
    const markerIds = await page.$$eval('.lot-marker[data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId).sort());
    const listIds = await page.$$eval('#lot-list [data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId).sort());
    const expected = [...t.app.catalog.all()].map((l) => l.id).sort();
    assert.deepEqual(markerIds, expected);
    assert.deepEqual(listIds, expected);
  });

  it('changes the free count in place when a count arrives over MQTT, within a second', async () => {
    await page.goto(t.app.httpUrl);
    const marker = page.locator('.lot-marker[data-lot-id="hangzhou-rd-7"]');
    await marker.waitFor();
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    const started = Date.now();
    await publish(mqtt, 'parking/lots/hangzhou-rd-7/count', { occupied: 10 });
    await page.waitForFunction(
      () => document.querySelector('.lot-marker[data-lot-id="hangzhou-rd-7"]')?.textContent === '22' &&
        document.querySelector('#lot-list [data-lot-id="hangzhou-rd-7"] .free')?.textContent === '22',
      undefined,
      { timeout: 2000 },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'no reload');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}/map.png` });
  });

  it('shows operator-supplied strings as text, never as markup', async () => {
    await page.goto(t.app.httpUrl);
    const item = page.locator('#lot-list [data-lot-id="xss-test"]');
    await item.waitFor();
    assert.match((await item.textContent()) ?? '', /<img src=x onerror=/);
    await item.click(); // opens the popup with the address
    await page.locator('.lot-popup').waitFor();
    assert.match((await page.locator('.lot-popup').textContent()) ?? '', /<svg onload=/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('#lot-list img, #lot-list b, .lot-popup svg').count(), 0);
  });

  it('switches between Chinese and English, and takes ?lang=en', async () => {
    await page.goto(t.app.httpUrl);
    const name = page.locator('#lot-list [data-lot-id="nanfeng-rd"] .name');
    await name.waitFor();
    assert.match((await name.textContent()) ?? '', /南丰路停车场/);
    await page.click('#lang-toggle');
    assert.match((await name.textContent()) ?? '', /Nanfeng Rd Car Park/);
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await page.goto(`${t.app.httpUrl}/?lang=zh`);
    await name.waitFor();
    assert.match((await name.textContent()) ?? '', /南丰路停车场/);
  });
});

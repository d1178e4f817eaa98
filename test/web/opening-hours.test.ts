// A lot that its opening hours close now, on the map in a real browser: the
// popup, the list and the marker say "closed now · opens 07:00" (休息中 · 07:00
// 开放), never "no recent data", and follow the service's clock when it opens.
// The clock is the test's: the result does not depend on when the test runs.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import type { LotView } from '../../server/domain/lot.ts';
import { connectMqtt, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser, offlinePage } from '../helpers/browser.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';
import { addLots, testLot } from '../helpers/lots.ts';

const marker = '.lot-marker[data-lot-id="day-lot"]';
const item = '#lot-list [data-lot-id="day-lot"]';

describe('web: opening hours on the map, by the service’s clock', function () {
  this.timeout(60_000);
  const zone = TEST_TIME_ZONE;
  // A Wednesday night on the lots' clock, after the lot closed at 22:00.
  const clock = runningClock(zonedTime('2026-11-25T23:30', zone));
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let page: Page;
  let external: string[] = [];

  const open = async (path: string) => {
    ({ page, external } = await offlinePage(browser));
    await page.goto(`${t.app.httpUrl}${path}`);
    await page.locator(marker).waitFor();
  };
  const textOf = async (selector: string) => (await page.locator(selector).textContent()) ?? '';

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ PUSH_INTERVAL_MS: '50' }, { clock });
    await addLots(t.app, [
      testLot({ id: 'day-lot', name: '日间停车场', nameEn: 'Daytime Car Park', lat: 36.094, lon: 120.356, capacity: 40, openingHours: 'Mo-Fr 07:00-22:00' }),
    ]);
    // What the watch sees in its minutely look (the lot was put straight into the catalog): closed.
    assert.deepEqual(t.app.openingHoursWatch!.check(), []);
    mqtt = await connectMqtt(t.app.mqtt.url);
    // Its sensors still count at night: fresh data, which must not make it look open or say "no recent data".
    await publish(mqtt, 'parking/lots/day-lot/count', { occupied: 10 });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  afterEach(async () => {
    if (!page) return;
    assert.deepEqual(external, [], 'only map tiles may come from elsewhere');
    await page.close();
  });

  it('answers with openNow false and the next opening (07:00 the next morning, on the lots’ clock)', async () => {
    const { body } = await getJson<LotView>(t.app.httpUrl, '/api/lots/day-lot');
    assert.deepEqual([body.availability, body.free, body.openNow, body.opensAt, body.closesAt],
      ['closed', 30, false, new Date(zonedTime('2026-11-26T07:00', zone)).toISOString(), null]);
  });

  it('says "休息中 · 07:00 开放" / "closed now · opens 07:00" in the popup, the list and the marker, never "no recent data"', async () => {
    await open('/?lang=zh');
    assert.equal(await textOf(marker), '–');
    assert.match((await page.getAttribute(marker, 'class')) ?? '', /\bav-closed\b/);
    assert.match(await textOf(`${item} .sub`), /^休息中 · 07:00 开放 · /);
    assert.equal(await textOf(`${item} .free`), '–');
    assert.match((await page.getAttribute('.leaflet-marker-icon:has(.lot-marker[data-lot-id="day-lot"])', 'aria-label')) ?? '', /休息中 · 07:00 开放/);
    await page.click(`${item} button`);
    await page.locator('.lot-popup[data-lot-id="day-lot"]').waitFor();
    assert.equal(await textOf('.lot-popup .popup-live'), '休息中 · 07:00 开放');
    assert.match((await page.getAttribute('.lot-popup .popup-live', 'class')) ?? '', /\bav-closed\b/);
    assert.doesNotMatch(await textOf('.lot-popup'), /暂无最新数据|空位 30/);

    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.querySelector('.lot-popup .popup-live')?.textContent === 'closed now · opens 07:00');
    assert.match(await textOf(`${item} .sub`), /^closed now · opens 07:00 · /);
    assert.match((await page.getAttribute('.leaflet-marker-icon:has(.lot-marker[data-lot-id="day-lot"])', 'aria-label')) ?? '', /closed now · opens 07:00/);
    assert.doesNotMatch(await textOf('.lot-popup'), /no recent data|30 free/);
  });

  it('shows the count once the lot opens at 07:00 (pushed, no reload), and then says when it closes', async () => {
    await open('/?lang=en');
    clock.set(zonedTime('2026-11-26T07:00:30', zone));
    await publish(mqtt, 'parking/lots/day-lot/count', { occupied: 12 });
    assert.deepEqual(t.app.openingHoursWatch!.check(), ['day-lot']);
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === '28', marker, { timeout: 10_000 });
    assert.match((await page.getAttribute(marker, 'class')) ?? '', /\bav-available\b/);
    assert.match(await textOf(`${item} .sub`), /^spaces free · /);
    const { body } = await getJson<LotView>(t.app.httpUrl, '/api/lots/day-lot');
    assert.deepEqual([body.openNow, body.opensAt, body.closesAt], [true, null, new Date(zonedTime('2026-11-26T22:00', zone)).toISOString()]);

    await page.close();
    await open('/?lang=zh');
    await page.click(`${item} button`);
    await page.locator('.lot-popup[data-lot-id="day-lot"]').waitFor();
    assert.equal(await textOf('.lot-popup .popup-live'), '空位 28 / 共 40');
    assert.equal(await textOf('.lot-popup .popup-hours'), '22:00 关闭');
  });
});

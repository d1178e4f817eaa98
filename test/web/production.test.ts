// The drivers' map and search in the production mode: PostgreSQL, Redis and
// Mosquitto on this machine, each run with its own database, key prefix,
// base topic and client id.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import type { LotFeatureCollection } from '../../server/query/geojson.ts';
import { connectMqtt, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser, offlinePage } from '../helpers/browser.ts';
import { addLots, testLot } from '../helpers/lots.ts';
import { MQTT_TEST_URL, productionEnvironment, uniqueName, type ProductionEnvironment } from '../helpers/services.ts';

describe('web: the live map in production mode (PostgreSQL, Redis, Mosquitto)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let t: TestApp | undefined;
  let gateway: MqttClient;
  let page: Page | undefined;
  let production: ProductionEnvironment | undefined;
  let base = '';

  before(async function () {
    production = await productionEnvironment(this);
    base = production.base;
    browser = await launchBrowser(this);
    t = await startApp({ ...production.env, MQTT_CLIENT_ID: uniqueName('kongwei-test-'), PUSH_INTERVAL_MS: '100' });
    await addLots(t.app, [testLot({ id: 'pg-ev-lot', nameEn: 'EV Car Park', lat: 36.068, lon: 120.372, capacity: 40, capacityCharging: 6, fee: true })]);
    gateway = await connectMqtt(MQTT_TEST_URL);
  });
  after(async () => {
    await page?.close();
    await browser?.close();
    await gateway?.endAsync();
    await t?.stop();
    await production?.cleanup();
  });

  it('finds every lot, shows a count published on Mosquitto without a reload, and filters by EV spaces', async () => {
    let external: string[];
    ({ page, external } = await offlinePage(browser));
    await page.goto(t!.app.httpUrl);
    await page.waitForFunction((n) => document.querySelectorAll('.lot-marker[data-lot-id]').length === n, t!.app.catalog.size);
    await publish(gateway, `${base}/lots/nanfeng-rd/count`, { occupied: 100 });
    await page.waitForFunction(() => document.querySelector('#lot-list [data-lot-id="nanfeng-rd"] .free')?.textContent === '50', undefined, { timeout: 10_000 });
    assert.equal(await page.textContent('.lot-marker[data-lot-id="nanfeng-rd"]'), '50');
    await page.click('#filters [data-feature="ev"]');
    await page.waitForFunction(() => document.querySelectorAll('#lot-list [data-lot-id]').length === 1);
    assert.equal(await page.getAttribute('#lot-list [data-lot-id]', 'data-lot-id'), 'pg-ev-lot');
    assert.deepEqual(external, []);
  });

  it('searches by features and answers GeoJSON, from PostgreSQL and Redis', async () => {
    const { body } = await getJson<LotFeatureCollection>(t!.app.httpUrl, '/api/lots.geojson?features=ev&type=surface');
    assert.deepEqual(body.features.map((f) => [f.id, f.geometry.coordinates, f.properties.fee]), [['pg-ev-lot', [120.372, 36.068], true]]);
    const free = await getJson<{ lots: { id: string; free: number }[] }>(t!.app.httpUrl, '/api/lots?minFree=1');
    assert.deepEqual(free.body.lots.map((l) => [l.id, l.free]), [['nanfeng-rd', 50]]);
  });
});

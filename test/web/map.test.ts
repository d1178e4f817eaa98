// The drivers' map in a real browser, with no internet: markers and the list
// come from the service itself; map tiles are blocked and must not matter.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import type { LotView } from '../../server/domain/lot.ts';
import { connectMqtt, getJson, publish, startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage, zoomMap } from '../helpers/browser.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';
import { addLots, testLot } from '../helpers/lots.ts';

const marker = (id: string) => `.lot-marker[data-lot-id="${id}"]`;
const item = (id: string) => `#lot-list [data-lot-id="${id}"]`;
const textOf = (page: Page, selector: string) => page.locator(selector).textContent();

describe('web: the live map in headless Chromium', function () {
  this.timeout(60_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let page: Page;
  let external: string[];
  /** The Socket.IO frames the page received. */
  let frames: string[];
  // The service's clock (and, through the page, the browser's): a Wednesday morning, inside every
  // lot's opening hours, whatever the time of day or the date the test runs at.
  const clock = runningClock(zonedTime('2026-11-25T10:00', TEST_TIME_ZONE));

  const open = async (path = '/', options = {}) => {
    ({ page, external } = await offlinePage(browser, options));
    frames = [];
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => frames.push(String(payload))));
    await page.goto(`${t.app.httpUrl}${path}`);
    await page.locator(marker('nanfeng-rd')).waitFor();
  };

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ PUSH_INTERVAL_MS: '100' }, { clock });
    await addLots(t.app, [
      // An operator-supplied name full of markup: it must show as text.
      testLot({
        id: 'xss-test', name: '<img src=x onerror="window.__xss=1"><b>bold</b>', nameEn: '<script>window.__xss=2</script>',
        address: '"><svg onload=window.__xss=3>', lat: 36.09, lon: 120.36, capacity: 5,
      }),
      testLot({ id: 'ev-lot', name: '充电站停车场', nameEn: 'EV Hub Car Park', lat: 36.068, lon: 120.372, type: 'underground', capacity: 40,
        capacityCharging: 8, openingHours: 'Mo-Fr 07:00-22:00; Sa,Su 08:00-20:00', fee: true, priceInfo: '每小时 5 元', priceInfoEn: 'CNY 5 per hour', maxHeightCm: 210 }),
      testLot({ id: 'access-lot', name: '无障碍停车场', nameEn: 'Accessible Car Park', lat: 36.104, lon: 120.35, capacity: 30, capacityDisabled: 3 }),
      testLot({ id: 'short-lived', name: '短时数据停车场', nameEn: 'Short-lived Data Car Park', lat: 36.072, lon: 120.398, capacity: 20, staleAfterS: 7 }),
    ]);
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  afterEach(async () => {
    assert.deepEqual(external, [], 'only map tiles may come from elsewhere');
    await page?.close();
  });

  it('shows a marker and a list entry for every lot, tiles or not', async () => {
    await open();
    const expected = [...t.app.catalog.all()].map((l) => l.id).sort();
    await page.waitForFunction((n) => document.querySelectorAll('.lot-marker[data-lot-id]').length === n, expected.length);
    const markerIds = await page.$$eval('.lot-marker[data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId).sort());
    const listIds = await page.$$eval('#lot-list [data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId).sort());
    assert.deepEqual(markerIds, expected);
    assert.deepEqual(listIds, expected);
  });

  it('changes the free count in place when a count arrives over MQTT, without a reload', async () => {
    await open();
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
    await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 10 });
    await page.waitForFunction(
      () => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '140' &&
        document.querySelector('#lot-list [data-lot-id="nanfeng-rd"] .free')?.textContent === '140',
      undefined,
      { timeout: 10_000 },
    );
    assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'no reload');
    // The map asks for live changes as rows (a third of the bytes of lots:live): the count came that way.
    assert.ok(frames.some((f) => f.startsWith('42["lots:rows"') && f.includes('["nanfeng-rd",150,140,10,')), 'a lots:rows push with the count');
    assert.ok(!frames.some((f) => f.startsWith('42["lots:live"')), 'no lots:live');
    assert.match((await page.getAttribute(marker('nanfeng-rd'), 'class')) ?? '', /\bav-available\b/);
    // A lot with free spaces is listed before one without, whatever the distance.
    const order = await page.$$eval('#lot-list [data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId));
    assert.equal(order[0], 'nanfeng-rd');
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS_DIR}/map.png` });
  });

  it('shows a lot that is not open as closed, with no count even when its sensors send one', async () => {
    await publish(mqtt, 'parking/lots/hangzhou-rd-7/count', { occupied: 10 });
    await open();
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="hangzhou-rd-7"]')?.classList.contains('av-closed'));
    assert.equal(await textOf(page, marker('hangzhou-rd-7')), '–');
    assert.equal(await textOf(page, `${item('hangzhou-rd-7')} .free`), '–');
    assert.match((await textOf(page, `${item('hangzhou-rd-7')} .sub`)) ?? '', /建设中/);
  });

  it('shows a lot with stale data grey, saying "no recent data", with no number', async () => {
    await publish(mqtt, 'parking/lots/liaocheng-rd/count', { occupied: 5, ts: clock() - 2 * 3600_000 });
    const view = (await getJson<LotView>(t.app.httpUrl, '/api/lots/liaocheng-rd')).body;
    assert.deepEqual([view.stale, view.free], [true, 55], 'the API keeps the number, flagged stale');
    await open();
    assert.equal(await textOf(page, marker('liaocheng-rd')), '–');
    assert.match((await page.getAttribute(marker('liaocheng-rd'), 'class')) ?? '', /\bav-unknown\b/);
    assert.equal(await textOf(page, `${item('liaocheng-rd')} .free`), '–');
    assert.match((await textOf(page, `${item('liaocheng-rd')} .sub`)) ?? '', /暂无最新数据/);
    await page.click(`${item('liaocheng-rd')} button`);
    const popup = (await page.locator('.lot-popup').textContent()) ?? '';
    assert.match(popup, /暂无最新数据/);
    assert.doesNotMatch(popup, /空位 55/);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.lot-marker[data-lot-id="liaocheng-rd"]')!).backgroundColor), 'rgb(118, 118, 118)');
  });

  it('turns a lot grey by itself when its data ages past the lot’s threshold, and ticks "updated N s ago", with no pushes', async () => {
    ({ page, external } = await offlinePage(browser));
    // Once the count is on the page, hold back every Socket.IO event ("42…") the
    // service sends (engine.io's pings still pass): what follows is the page's own doing.
    let holdBack = false;
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((message) => {
        if (!(holdBack && String(message).startsWith('42'))) ws.send(message);
      });
    });
    await page.goto(t.app.httpUrl);
    await page.locator(marker('short-lived')).waitFor();
    await publish(mqtt, 'parking/lots/short-lived/count', { occupied: 5 });
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="short-lived"]')?.textContent === '15');
    await page.click(`${item('short-lived')} button`);
    const since = page.locator('.lot-popup .popup-since');
    await since.waitFor();
    holdBack = true;
    assert.equal(await since.textContent(), '刚刚更新');
    await page.waitForFunction(() => /^\d+ 秒前更新$/.test(document.querySelector('.lot-popup .popup-since')?.textContent ?? ''), undefined, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="short-lived"]')?.textContent === '–', undefined, { timeout: 15_000 });
    assert.match((await page.getAttribute(marker('short-lived'), 'class')) ?? '', /\bav-unknown\b/);
    assert.equal(await textOf(page, `${item('short-lived')} .free`), '–');
    assert.match((await page.locator('.lot-popup').textContent()) ?? '', /暂无最新数据/);
  });

  it('shows operator-supplied strings as text, never as markup', async () => {
    await open();
    const entry = page.locator(item('xss-test'));
    assert.match((await entry.textContent()) ?? '', /<img src=x onerror=/);
    await entry.click(); // opens the popup with the address
    await page.locator('.lot-popup').waitFor();
    assert.match((await page.locator('.lot-popup').textContent()) ?? '', /<svg onload=/);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    assert.equal(await page.locator('#lot-list img, #lot-list b, .lot-popup svg, .leaflet-marker-pane img').count(), 0);
  });

  it('shows a lot’s details in its popup: capacity, type, address, hours, price, special spaces, directions', async () => {
    await publish(mqtt, 'parking/lots/ev-lot/count', { occupied: 30 });
    await open('/?lang=en');
    await page.click(`${item('ev-lot')} button`);
    const popup = page.locator('.lot-popup');
    await popup.waitFor();
    const text = (await popup.textContent()) ?? '';
    for (const expected of ['EV Hub Car Park', '充电站停车场', '10 free of 40', 'underground car park', '40 spaces', 'Mon-Fri 07:00-22:00; Sat,Sun 08:00-20:00',
      'paid parking · CNY 5 per hour', 'EV charging 8', 'Max. height', '2.1 m', 'updated']) {
      assert.ok(text.includes(expected), `popup says "${expected}": ${text}`);
    }
    const href = (await popup.locator('a.directions').first().getAttribute('href')) ?? '';
    assert.match(href, /^https:\/\/uri\.amap\.com\/navigation\?to=120\.372,36\.068,/);
    assert.match(href, /coordinate=wgs84/);
  });

  it('switches between Chinese and English, remembers it, and takes ?lang= and the browser’s language', async () => {
    await open();
    const name = page.locator(`${item('nanfeng-rd')} .name`);
    assert.equal(await name.textContent(), '南丰路停车场');
    assert.equal(await page.textContent('#list-title'), '附近的停车场');
    await page.click('#lang-toggle');
    assert.equal(await name.textContent(), 'Nanfeng Rd Car Park');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.textContent('#list-title'), 'Car parks nearby');
    assert.equal(await page.textContent('#filters [data-feature="ev"]'), 'EV charging');
    assert.equal(await page.getAttribute('.leaflet-control-zoom-in', 'title'), 'Zoom in');
    assert.match(await page.title(), /live free parking/);
    assert.match((await page.getAttribute(marker('nanfeng-rd') + '', 'class')) ?? '', /lot-marker/);
    await page.reload();
    await name.waitFor();
    assert.equal(await name.textContent(), 'Nanfeng Rd Car Park', 'the choice is remembered');
    await page.goto(`${t.app.httpUrl}/?lang=zh`);
    await name.waitFor();
    assert.equal(await name.textContent(), '南丰路停车场');
    await page.close();

    await open('/', { locale: 'en-US' });
    assert.equal(await page.locator(`${item('nanfeng-rd')} .name`).textContent(), 'Nanfeng Rd Car Park');
    await page.close();
    await open('/?lang=zh', { locale: 'en-US' });
    assert.equal(await page.locator(`${item('nanfeng-rd')} .name`).textContent(), '南丰路停车场');
  });

  it('clusters lots when zoomed out, each cluster showing the sum of its lots’ free spaces', async () => {
    await publish(mqtt, 'parking/lots/siji-dormitory/count', { occupied: 150 });
    await publish(mqtt, 'parking/lots/cruise-port/count', { free: 120 });
    await open();
    await zoomMap(page, -3);
    await page.waitForFunction(() => document.querySelectorAll('.lot-cluster').length > 0 && document.querySelectorAll('.lot-marker').length === 0);
    const { lots } = (await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots')).body;
    // What a driver can use: lots that are open (by status and by their hours) with fresh data.
    const expected = lots.filter((l) => l.availability !== 'closed' && !l.stale && l.free !== null).reduce((sum, l) => sum + l.free!, 0);
    const clusters = await page.$$eval('.lot-cluster', (els) => els.map((e) => ({ text: e.textContent, lots: Number((e as HTMLElement).dataset.lots) })));
    assert.equal(clusters.reduce((sum, c) => sum + c.lots, 0), lots.length, 'every lot is in a cluster');
    assert.equal(clusters.reduce((sum, c) => sum + (c.text === '–' ? 0 : Number(c.text)), 0), expected);
    assert.match((await page.getAttribute('.lot-cluster-icon', 'aria-label')) ?? '', /个停车场/);
  });

  it('filters to lots with EV charging or disabled spaces, markers and list alike', async () => {
    await open();
    await page.click('#filters [data-feature="ev"]');
    assert.equal(await page.getAttribute('#filters [data-feature="ev"]', 'aria-pressed'), 'true');
    await page.waitForFunction(() => document.querySelectorAll('#lot-list [data-lot-id]').length === 1);
    assert.deepEqual(await page.$$eval('#lot-list [data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId)), ['ev-lot']);
    await page.waitForFunction(() => document.querySelectorAll('.lot-marker[data-lot-id]').length === 1);
    await page.click('#filters [data-feature="disabled"]');
    await page.waitForFunction(() => document.querySelectorAll('#lot-list [data-lot-id]').length === 0);
    assert.match((await page.textContent('#lot-list')) ?? '', /符合筛选条件/);
    await page.click('#filters [data-feature="ev"]');
    await page.waitForFunction(() => document.querySelectorAll('#lot-list [data-lot-id]').length === 1);
    assert.deepEqual(await page.$$eval('.lot-marker[data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId)), ['access-lot']);
    await page.click('#filters [data-feature="disabled"]');
    await page.waitForFunction((n) => document.querySelectorAll('.lot-marker[data-lot-id]').length === n, t.app.catalog.size);
  });

  it('takes lots:remove (a lot deleted by an operator) and a new lot in lots:update, without a reload', async () => {
    ({ page, external } = await offlinePage(browser));
    // Stand between the page and the service to push what an operator's changes would.
    let toPage: ((message: string) => void) | undefined;
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      ws.connectToServer();
      toPage = (message) => ws.send(message);
    });
    await page.goto(t.app.httpUrl);
    await page.locator(marker('nanfeng-rd')).waitFor();
    toPage!(`42${JSON.stringify(['lots:remove', ['nanfeng-rd']])}`);
    await page.locator(marker('nanfeng-rd')).waitFor({ state: 'detached' });
    await page.locator(item('nanfeng-rd')).waitFor({ state: 'detached' });
    const { body: lot } = await getJson<LotView>(t.app.httpUrl, '/api/lots/ev-lot');
    toPage!(`42${JSON.stringify(['lots:update', [{ ...lot, id: 'brand-new', name: '新停车场', lat: 36.1, lon: 120.39 }]])}`);
    await page.locator(item('brand-new')).waitFor();
    await page.locator(marker('brand-new')).waitFor();
  });

  it('works from the keyboard: a list entry opens its lot with Enter, Escape goes back', async () => {
    await open();
    const first = page.locator('#lot-list [data-lot-id] button').first();
    const id = await page.locator('#lot-list [data-lot-id]').first().getAttribute('data-lot-id');
    // (Past the controls, the markers, the filters and the arrival choice: its time field is three stops.)
    for (let i = 0; i < 50; i++) {
      await page.keyboard.press('Tab');
      if (await first.evaluate((el) => el === document.activeElement)) break;
    }
    assert.equal(await first.evaluate((el) => el === document.activeElement), true, 'the list can be reached with Tab');
    await page.keyboard.press('Enter');
    await page.locator(`.lot-popup[data-lot-id="${id}"]`).waitFor();
    await page.waitForFunction(() => document.activeElement?.closest('.lot-popup') !== null);
    await page.keyboard.press('Escape');
    await page.locator('.lot-popup').waitFor({ state: 'detached' });
    assert.equal(await first.evaluate((el) => el === document.activeElement), true, 'focus is back on the entry');
  });

  it('sorts the list by distance from the driver after the locate button', async () => {
    await publish(mqtt, 'parking/lots/anshan-5th-rd/count', { occupied: 4 });
    await publish(mqtt, 'parking/lots/cruise-port/count', { free: 100, ts: clock() });
    // Standing at the cruise terminal: it comes first, though the map's centre is elsewhere.
    await open('/', { geolocation: { latitude: 36.0801, longitude: 120.3191 }, permissions: ['geolocation'] });
    await page.click('.locate-button');
    await page.waitForFunction(() => document.querySelector('#lot-list [data-lot-id]')?.getAttribute('data-lot-id') === 'cruise-port');
    assert.equal(await page.getAttribute('.locate-button', 'aria-pressed'), 'true');
    assert.equal(await page.textContent('#list-sort'), '按与您的距离排序');
    assert.match((await textOf(page, `${item('cruise-port')} .sub`)) ?? '', / 10 米$/);
  });

  // Last: it adds a lot far from Shibei, which the tests above do not expect.
  it('subscribes to the new area when the map moves far: lots there arrive, lots left behind go', async () => {
    await addLots(t.app, [testLot({ id: 'beijing-lot', name: '北京停车场', nameEn: 'Beijing Car Park', lat: 39.9087, lon: 116.3975 })]);
    await publish(mqtt, 'parking/lots/beijing-lot/count', { occupied: 8 });
    await open('/', { geolocation: { latitude: 39.9086, longitude: 116.3974 }, permissions: ['geolocation'] });
    assert.equal(await page.locator(item('beijing-lot')).count(), 0, 'not in the area around Shibei');
    await page.click('.locate-button'); // the map jumps to the driver, in Beijing
    await page.locator(marker('beijing-lot')).waitFor();
    assert.equal(await textOf(page, marker('beijing-lot')), '42');
    await page.locator(item('nanfeng-rd')).waitFor({ state: 'detached' });
    assert.deepEqual(await page.$$eval('#lot-list [data-lot-id]', (els) => els.map((e) => (e as HTMLElement).dataset.lotId)), ['beijing-lot']);
  });
});

// Live free counts per kind of bay, in headless Chromium with no internet:
// an operator declares a lot's EV charging bays (through the API, and on the
// operator page), their sensors publish over MQTT, and the drivers' map says
// "1 charging bay free now" in the popup and, with the EV filter on, in the
// list, where a lot whose charging bays are all taken goes after those with
// room. Both languages, a phone and a desktop; axe-core stays clean.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { AXE_CONTEXT, describeViolations, seriousViolations } from '../helpers/axe.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const popupKind = '.lot-popup[data-lot-id="ev-hub"] .popup-kinds .kind-free[data-kind="charging"]';
const item = (id: string) => `#lot-list [data-lot-id="${id}"]`;
/** The README's pictures of this page (docs/): rewritten there only when asked, so a test run leaves the tracked tree as it was. */
const README_SHOTS = new Set(['screenshot-kinds-zh.png', 'screenshot-kinds-en-desktop.png']);
const UPDATE_SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1';
const shotPath = (name: string) => (UPDATE_SCREENSHOTS && README_SHOTS.has(name) ? `docs/${name}` : `${ARTIFACTS_DIR}/${name}`);
const WORDS = {
  zh: { one: '1 个充电车位空闲', none: '充电车位已满', depotWaiting: /^充电车位 3 个：暂无实时空位/, depotLive: '充电车位 2 / 3 空闲' },
  en: { one: '1 charging bay free now', none: 'no charging bay free now', depotWaiting: /^EV charging bays \(3\): no live count/, depotLive: 'EV charging bays: 2 of 3 free' },
};

describe('web: live free counts per kind of bay', function () {
  this.timeout(120_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let token: string;
  let page: Page;
  let problems: string[] = [];
  // A Wednesday morning on the lots' clock; it runs on, so every event below is newer than the last.
  const clock = runningClock(zonedTime('2026-11-25T10:00', TEST_TIME_ZONE));
  let tick = 0;
  /** A bay sensor's state, each newer than the one before (sensor time from the service's clock). */
  const bay = (lot: string, space: string, occupied: boolean) => publish(mqtt, `parking/lots/${lot}/spaces/${space}`, { occupied, ts: clock() + ++tick });

  const assertAccessible = async (what: string) => {
    const violations = await seriousViolations(page);
    assert.deepEqual(violations.map((v) => v.id), [], `${what}: ${describeViolations(violations)}`);
  };
  const openPage = async (path: string, options: BrowserContextOptions) => {
    ({ page } = await offlinePage(browser, { ...options, ...AXE_CONTEXT }));
    problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    await page.goto(`${t.app.httpUrl}${path}`);
  };

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ ADMIN_TOKEN, SEED_LOTS: 'off', PUSH_INTERVAL_MS: '50', WRITE_RATE_LIMIT: '100000' }, { clock });
    ({ token } = await createOperator(t.app.httpUrl, 'EV Parking Ltd'));
    const base = t.app.httpUrl;
    // Declared through the API: two charging bays by their sensors' ids, as a range.
    const hub = await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'ev-hub', name: '充电枢纽停车场', nameEn: 'EV Hub Car Park', capacity: 40, lat: 36.094, lon: 120.356, baysCharging: 'C001..C002' }) });
    assert.equal(hub.status, 201, JSON.stringify(hub.body));
    assert.deepEqual([hub.body.baysCharging, hub.body.capacityCharging, hub.body.freeCharging], ['c001..c002', 2, null], 'in lower case; the declared bays are the kind\'s capacity; no sensor yet');
    assert.equal(t.app.catalog.get('ev-hub')!.capacityCharging, null, 'stored as sent');
    const other = await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'ev-other', name: '另一停车场', nameEn: 'Other Car Park', capacity: 40, capacityCharging: 4, lat: 36.0935, lon: 120.3545 }) });
    assert.equal(other.status, 201);
    const depot = await api(base, 'POST', '/api/lots', { token, body: newLot({ id: 'ev-depot', name: '充电站停车场', nameEn: 'EV Depot', capacity: 30, lat: 36.095, lon: 120.357 }) });
    assert.equal(depot.status, 201);
    mqtt = await connectMqtt(t.app.mqtt.url);
    await publish(mqtt, 'parking/lots/ev-other/count', { occupied: 10, ts: clock() });
    // The hub is counted at its gates (a count here); its charging bays have sensors of their own.
    await publish(mqtt, 'parking/lots/ev-hub/count', { occupied: 1, ts: clock() });
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  afterEach(async () => {
    assert.deepEqual(problems, [], 'no page errors');
    await page?.close();
  });

  for (const lang of ['zh', 'en'] as const) {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      it(`says "${WORDS[lang].one}" in the popup, and the EV filter uses it: ${lang}, ${device}`, async () => {
        await bay('ev-hub', 'c001', true);
        await bay('ev-hub', 'c002', false);
        await openPage(`/lots/ev-hub?lang=${lang}`, options);
        await page.waitForFunction(({ selector, text }) => document.querySelector(selector)?.textContent === text, { selector: popupKind, text: WORDS[lang].one });
        await page.waitForTimeout(400); // the popup fades in
        await assertAccessible('popup with a live charging count');
        await page.screenshot({ path: shotPath(`screenshot-kinds-${lang}${device === 'phone' ? '' : '-desktop'}.png`) });

        // A second bay taken: said at once, by the push, in the popup that stays open.
        await bay('ev-hub', 'c002', true);
        await page.waitForFunction(({ selector, text }) => document.querySelector(selector)?.textContent === text, { selector: popupKind, text: WORDS[lang].none });
        assert.match((await page.getAttribute(popupKind, 'class')) ?? '', /kind-none/);

        // The EV filter: the list says each lot's live charging count, and a lot with none free goes after those with room.
        await page.keyboard.press('Escape');
        await page.locator('.lot-popup').waitFor({ state: 'detached' });
        if (device === 'phone') await page.click('#sheet-toggle');
        await page.click('#filters [data-feature="ev"]');
        await page.waitForFunction(({ hub, other }) => {
          const items = [...document.querySelectorAll<HTMLElement>('#lot-list [data-lot-id]')].map((li) => li.dataset.lotId);
          return items[0] === other && items[1] === hub;
        }, { hub: 'ev-hub', other: 'ev-other' });
        assert.ok(await page.locator('#lot-list .list-divider').isVisible(), 'the lot with no charging bay free is under the divider');
        assert.match((await page.textContent(`${item('ev-hub')} .sub`)) ?? '', new RegExp(WORDS[lang].none));
        assert.doesNotMatch((await page.textContent(`${item('ev-other')} .sub`)) ?? '', /charging|充电/, 'no bays declared there: no live count said');
        await bay('ev-hub', 'c001', false);
        await page.waitForFunction(({ selector, text }) => document.querySelector(selector)?.textContent?.includes(text), { selector: `${item('ev-hub')} .sub`, text: WORDS[lang].one });
        assert.equal(await page.locator('#lot-list .list-divider').isVisible(), false, 'both lots have room again');
        await assertAccessible('list with the EV filter');
      });
    }

    it(`lets an operator declare charging bays as a range, and shows their live count: ${lang}`, async () => {
      await openPage(`/operator?lang=${lang}`, DESKTOP);
      await page.fill('#token-input', token);
      await page.click('#sign-in-form button[type=submit]');
      const depot = page.locator('#own-lots [data-lot-id="ev-depot"]');
      await depot.locator('button[data-action=edit]').click();
      await page.locator('#lot-form').waitFor({ state: 'visible' });
      assert.equal(await page.getAttribute('#f-baysCharging', 'placeholder'), 'c001..c040, c101');
      // Refused beside its field first: more bays than the kind's capacity.
      await page.fill('#f-capacityCharging', '2');
      await page.fill('#f-baysCharging', lang === 'zh' ? 'D001..D003' : 'd101..d103');
      await page.click('#lot-save');
      await page.waitForFunction(() => (document.getElementById('e-baysCharging')?.textContent ?? '') !== '');
      assert.match((await page.textContent('#e-baysCharging')) ?? '', lang === 'zh' ? /列出了 3 个车位，多于 capacityCharging（2）/ : /declares 3 bays, more than capacityCharging \(2\)/);
      await assertAccessible('form with a refused bay list');
      await page.fill('#f-capacityCharging', '');
      await page.click('#lot-save');
      const line = depot.locator('.kind-line[data-kind="charging"]');
      await line.waitFor();
      assert.match((await line.textContent()) ?? '', WORDS[lang].depotWaiting);
      const spaces = lang === 'zh' ? ['d001', 'd002', 'd003'] : ['d101', 'd102', 'd103'];
      assert.equal(t.app.catalog.get('ev-depot')!.baysCharging, `${spaces[0]}..${spaces[2]}`, 'stored in lower case');
      await bay('ev-depot', spaces[0]!, true);
      await bay('ev-depot', spaces[1]!, false);
      // Two of three reported: still no count (the third is unknown).
      await page.waitForTimeout(300);
      assert.match((await line.textContent()) ?? '', WORDS[lang].depotWaiting);
      await bay('ev-depot', spaces[2]!, false);
      await page.waitForFunction((text) => document.querySelector('#own-lots [data-lot-id="ev-depot"] .kind-line[data-kind="charging"]')?.textContent === text, WORDS[lang].depotLive);
      await assertAccessible('operator page with a lot\'s bays by kind');
      await page.screenshot({ path: `${ARTIFACTS_DIR}/kinds-operator-${lang}.png` });
      // Back as it was, for the other language's run.
      const reset = await api(t.app.httpUrl, 'PATCH', '/api/lots/ev-depot', { token, body: { baysCharging: null } });
      assert.equal(reset.status, 200);
    });
  }
});

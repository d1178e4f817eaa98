// Accessibility, in headless Chromium: both pages pass axe-core (injected
// from node_modules) with no serious or critical violation — the map in both
// languages, on a phone and a desktop, with a popup open and the legend; the
// operator page signed out and in each of its views. Colour is never the only
// signal, a change to the lot the driver looks at is announced politely and
// rate-limited, and everything is reachable by keyboard.
import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ADMIN_TOKEN, createOperator } from '../helpers/api.ts';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';
import { AXE_CONTEXT, describeViolations, seriousViolations } from '../helpers/axe.ts';
import { launchBrowser, offlinePage, zoomMap } from '../helpers/browser.ts';
import { runningClock, TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
const item = (id: string) => `#lot-list [data-lot-id="${id}"]`;

async function assertAccessible(page: Page, state: string): Promise<void> {
  const violations = await seriousViolations(page);
  assert.deepEqual(violations.map((v) => v.id), [], `${state}:\n${describeViolations(violations)}`);
}

/** Presses Tab up to `limit` times, describing each element that takes the focus. */
async function tabStops(page: Page, limit: number): Promise<string[]> {
  const stops: string[] = [];
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return 'body';
      const lot = el.closest<HTMLElement>('[data-lot-id]')?.dataset.lotId ?? el.querySelector<HTMLElement>('[data-lot-id]')?.dataset.lotId;
      return `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''}${lot ? `[${lot}]` : ''}`;
    }));
  }
  return stops;
}

describe('web: accessibility — axe-core, colour, announcements, keyboard', function () {
  this.timeout(120_000);
  let browser: Browser;
  let t: TestApp;
  let mqtt: MqttClient;
  let token: string;
  let page: Page;
  // A Wednesday morning on the lots' clock: every lot open by its hours.
  const clock = runningClock(zonedTime('2026-11-25T10:00', TEST_TIME_ZONE));

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ ADMIN_TOKEN, PUSH_INTERVAL_MS: '100', WRITE_RATE_LIMIT: '100000' }, { clock });
    token = (await createOperator(t.app.httpUrl, 'A11y Operator')).token;
    mqtt = await connectMqtt(t.app.mqtt.url);
  });
  // One lot in each state: available, almost full, full; hangzhou-rd-7 is not open; the others have no data.
  beforeEach(async () => {
    await publish(mqtt, 'parking/lots/nanfeng-rd/count', { occupied: 112 });
    await publish(mqtt, 'parking/lots/liaocheng-rd/count', { occupied: 55 });
    await publish(mqtt, 'parking/lots/siji-dormitory/count', { occupied: 200 });
  });
  after(async () => {
    await browser?.close();
    await mqtt?.endAsync();
    await t?.stop();
  });
  afterEach(async () => {
    await page?.close();
  });

  const openMap = async (lang: 'zh' | 'en', options: BrowserContextOptions) => {
    ({ page } = await offlinePage(browser, { ...options, ...AXE_CONTEXT }));
    await page.goto(`${t.app.httpUrl}/?lang=${lang}`);
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '38');
  };

  for (const lang of ['zh', 'en'] as const) {
    for (const [device, options] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
      it(`the map passes axe-core (${lang}, ${device}): as loaded, with the list and legend open, with a popup open`, async () => {
        await openMap(lang, options);
        await assertAccessible(page, 'as loaded');
        if (device === 'phone') {
          assert.equal(await page.getAttribute('#legend-toggle', 'aria-expanded'), 'false', 'the legend starts folded on a phone');
          await page.click('#legend-toggle');
          await assertAccessible(page, 'legend open');
          await page.click('#legend-toggle');
          await page.click('#sheet-toggle');
          await assertAccessible(page, 'list open');
        } else assert.equal(await page.getAttribute('#legend-toggle', 'aria-expanded'), 'true', 'the legend starts open on a wide screen');
        await page.click(`${item('nanfeng-rd')} button`);
        await page.locator('.lot-popup[data-lot-id="nanfeng-rd"]').waitFor();
        await page.waitForTimeout(400); // the popup fades in
        await assertAccessible(page, 'popup open');
        await page.keyboard.press('Escape');
        await page.click(`${item('cruise-port')} button`);
        await page.locator('.lot-popup[data-lot-id="cruise-port"]').waitFor();
        await page.waitForTimeout(400);
        await assertAccessible(page, 'a popup with no recent data');
      });
    }
  }

  it('tells every state of a marker apart without colour: shape, glyph or text, as the legend shows', async () => {
    await openMap('en', DESKTOP);
    // (No named helper inside evaluate: the test's compiler would wrap it in a helper the page does not have.)
    const described = await page.evaluate(() => {
      const pairs: [string, Element][] = [];
      for (const id of ['nanfeng-rd', 'liaocheng-rd', 'siji-dormitory', 'hangzhou-rd-7', 'cruise-port']) {
        const marker = document.querySelector(`.lot-marker[data-lot-id="${id}"]`)!;
        pairs.push([`marker ${marker.className.replace('lot-marker ', '')}`, marker]);
      }
      for (const item of document.querySelectorAll<HTMLElement>('.legend-item')) pairs.push([`legend ${item.dataset.availability} ${item.querySelector('.legend-meaning')!.textContent}`, item.querySelector('.legend-sample')!]);
      return pairs.map(([key, el]) => [key, `radius ${parseFloat(getComputedStyle(el).borderTopLeftRadius) >= 10 ? 'round' : 'square'} · border ${getComputedStyle(el).borderTopStyle} · glyph ${getComputedStyle(el, '::after').content} · text ${/\d/.test(el.textContent ?? '') ? 'number' : el.textContent}`] as const);
    });
    const looks = {
      markers: Object.fromEntries(described.filter(([key]) => key.startsWith('marker ')).map(([key, look]) => [key.slice(7), look])),
      legend: described.filter(([key]) => key.startsWith('legend ')).map(([key, look]) => {
        const [, kind, ...meaning] = key.split(' ');
        return { kind: kind!, look, meaning: meaning.join(' ') };
      }),
    };
    assert.deepEqual(Object.keys(looks.markers).sort(), ['av-almost_full', 'av-available', 'av-closed', 'av-full', 'av-unknown']);
    const kinds = Object.values(looks.markers);
    assert.equal(new Set(kinds).size, 5, `five different looks besides colour: ${JSON.stringify(looks.markers, null, 1)}`);
    assert.match(looks.markers['av-available']!, /glyph none · text number/);
    assert.match(looks.markers['av-almost_full']!, /glyph "!" · text number/);
    assert.match(looks.markers['av-full']!, /glyph "×"/);
    assert.match(looks.markers['av-closed']!, /radius square/);
    assert.match(looks.markers['av-unknown']!, /border dashed · glyph "\?"/);
    // The legend shows each kind as the map draws it (its sample's number stands for any number).
    assert.deepEqual(looks.legend.map((l) => l.kind), ['available', 'almost_full', 'full', 'closed', 'unknown']);
    for (const { kind, look, meaning } of looks.legend) {
      assert.equal(look.replace(/text \S+$/, ''), looks.markers[`av-${kind}`]!.replace(/text \S+$/, ''), kind);
      assert.ok(meaning && meaning.length > 3, kind);
    }
  });

  it('announces, politely and at most once per few seconds, a change to the lot in the open popup — and not to other lots', async () => {
    await openMap('zh', DESKTOP);
    const region = page.locator('#live-announcer');
    assert.equal(await region.getAttribute('aria-live'), 'polite');
    await page.evaluate(() => {
      const said: string[] = [];
      (window as unknown as { __said: string[] }).__said = said;
      const node = document.getElementById('live-announcer')!;
      new MutationObserver(() => said.push(node.textContent ?? '')).observe(node, { childList: true, characterData: true, subtree: true });
    });
    const said = () => page.evaluate(() => (window as unknown as { __said: string[] }).__said.filter(Boolean));
    await page.click(`${item('nanfeng-rd')} button`);
    await page.locator('.lot-popup[data-lot-id="nanfeng-rd"]').waitFor();
    // Each count with a time of its own (two in the same millisecond would be one count, the second a duplicate).
    let lastTs = 0;
    const count = (lot: string, occupied: number) => publish(mqtt, `parking/lots/${lot}/count`, { occupied, ts: (lastTs = Math.max(clock(), lastTs + 1)) });
    await count('siji-dormitory', 150); // not looked at
    await count('nanfeng-rd', 50);
    await page.waitForFunction(() => document.getElementById('live-announcer')?.textContent === '南丰路停车场：空位 100 / 共 150', undefined, { timeout: 10_000 });
    // A burst of changes: said once more at most, with the newest state, when the gap is over.
    for (const occupied of [60, 70, 80, 90, 145]) await count('nanfeng-rd', occupied);
    await page.waitForFunction(() => document.getElementById('live-announcer')?.textContent === '南丰路停车场：空位 5 / 共 150 · 即将满', undefined, { timeout: 30_000 });
    await page.waitForTimeout(500);
    assert.deepEqual(await said(), ['南丰路停车场：空位 100 / 共 150', '南丰路停车场：空位 5 / 共 150 · 即将满']);
    await page.keyboard.press('Escape');
    await count('nanfeng-rd', 112);
    await page.waitForFunction(() => document.querySelector('.lot-marker[data-lot-id="nanfeng-rd"]')?.textContent === '38');
    await page.waitForTimeout(500);
    assert.equal((await said()).length, 2, 'with the popup closed, nothing more is said');
  });

  it('reaches everything on the map by keyboard: the controls, the markers, the legend, the filters, the list; Enter opens a marker’s popup, Escape closes it', async () => {
    await openMap('en', DESKTOP);
    const stops = await tabStops(page, 45);
    for (const expected of ['button#lang-toggle', 'a.leaflet-control-zoom-in', 'button.locate-button', 'button#legend-toggle', 'button.chip', 'button.chip.arrival-chip', 'input#arrival-time', 'button.lot-open']) {
      assert.ok(stops.some((s) => s.startsWith(expected)), `${expected} is a tab stop: ${stops.join(' → ')}`);
    }
    assert.ok(stops.some((s) => /\.lot-marker-icon.*\[nanfeng-rd\]/.test(s)), `a marker is a tab stop: ${stops.join(' → ')}`);
    await page.focus('.leaflet-marker-icon:has(.lot-marker[data-lot-id="nanfeng-rd"])');
    await page.keyboard.press('Enter');
    await page.locator('.lot-popup[data-lot-id="nanfeng-rd"]').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.lot-popup').waitFor({ state: 'detached' });
    // The legend opens and folds by keyboard too.
    await page.focus('#legend-toggle');
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('#legend-toggle', 'aria-expanded'), 'false');
    assert.equal(await page.isVisible('#legend-list'), false);
    await page.keyboard.press('Space');
    assert.equal(await page.isVisible('#legend-list'), true);
    // Zoomed out, a cluster is a tab stop too, and Enter zooms into it.
    await zoomMap(page, -3);
    await page.locator('.lot-cluster-icon').first().waitFor();
    const zoom = Number(await page.getAttribute('#map', 'data-zoom'));
    await page.focus('.lot-cluster-icon >> nth=0');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')), 'button');
    await page.keyboard.press('Enter');
    await page.waitForFunction((before) => Number(document.getElementById('map')?.dataset.zoom) > before, zoom, { timeout: 15_000 });
  });

  async function signIn(lang: 'zh' | 'en'): Promise<void> {
    ({ page } = await offlinePage(browser, { ...DESKTOP, ...AXE_CONTEXT }));
    await page.goto(`${t.app.httpUrl}/operator?lang=${lang}`);
    await assertAccessible(page, `${lang}: signed out`);
    // By keyboard: the token field, Enter.
    const stops = await tabStops(page, 3);
    assert.ok(stops.includes('input#token-input'), stops.join(' → '));
    await page.focus('#token-input');
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.locator('#workspace').waitFor({ state: 'visible' });
  }

  for (const lang of ['en', 'zh'] as const) {
    it(`the operator page passes axe-core (${lang}): signed out, the lots, the form with the hours editor, a gateway's details, a lot's history`, async () => {
      await signIn(lang);
      await page.locator('#own-lots li').first().waitFor();
      await assertAccessible(page, 'signed in: the lots');
      await page.click('#add-lot');
      await page.locator('#lot-form').waitFor({ state: 'visible' });
      await page.selectOption('#hours-Mo', 'ranges');
      await page.click('#hours-Mo ~ .hours-add');
      await assertAccessible(page, 'the form, with time ranges');
      await page.fill('#f-openingHours', 'Mo-Fr 22:00-02:00');
      await assertAccessible(page, 'the form, hours the table cannot show');
      await page.fill('#f-name', `无障碍 ${lang}`);
      await page.fill('#f-nameEn', `Accessible ${lang}`);
      await page.fill('#f-capacity', '10');
      await page.fill('#f-id', `accessible-${lang}`);
      await page.fill('#f-openingHours', '');
      await page.click('#lot-save');
      await page.locator('#lot-form').waitFor({ state: 'hidden' });
      const lot = page.locator(`#own-lots [data-lot-id="accessible-${lang}"]`);
      await lot.waitFor();
      page.once('dialog', (dialog) => void dialog.accept('Gate'));
      await lot.locator('button[data-action=gateway]').click();
      await page.locator('#gateway-view').waitFor({ state: 'visible' });
      await assertAccessible(page, 'a gateway’s details');
      await page.click('#gateway-done');
      await lot.locator('button[data-action=history]').click();
      await page.locator('#audit-view').waitFor({ state: 'visible' });
      await page.locator('#audit-entries li').first().waitFor();
      await assertAccessible(page, 'a lot’s history');
    });
  }

  it('reaches every field of the operator form by keyboard, the hours editor included', async () => {
    await signIn('en');
    await page.focus('#add-lot');
    await page.keyboard.press('Enter');
    await page.locator('#lot-form').waitFor({ state: 'visible' });
    const stops = await tabStops(page, 60);
    for (const expected of ['input#f-name', 'select#f-type', 'input#f-openingHours', 'select#hours-Mo', 'button#hours-copy-weekdays', 'select#hours-Su', 'select#hours-PH', 'button#lot-save']) {
      assert.ok(stops.some((stop) => stop === expected || stop.startsWith(`${expected}.`)), `${expected} is a tab stop: ${stops.join(' → ')}`);
    }
    // Sunday closed, by keyboard alone.
    await page.focus('#hours-Su');
    await page.keyboard.press('Home');
    assert.equal(await page.inputValue('#hours-Su'), 'closed');
    assert.equal(await page.inputValue('#f-openingHours'), 'Mo-Sa 00:00-24:00; Su off');
  });
});

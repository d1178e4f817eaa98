// A lot's occupancy on the operator page, in headless Chromium with no
// internet: an operator's lot given five weeks of history (the import API),
// and the service's own forecasts kept over the days before; the page shows
// the charts over a day, a week and 30 days, the figures operators report —
// checked against the truth the history was made from, not against the page's
// own arithmetic — the weekday × hour heat map, the forecast accuracy the API
// measured, and downloads the period's history as CSV. Both languages.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { getJson, startApp, type TestApp } from '../helpers/app.ts';
import { AXE_CONTEXT, describeViolations, seriousViolations } from '../helpers/axe.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';
import { TEST_TIME_ZONE, zonedTime } from '../helpers/clock.ts';
import { DAY, historyCsv, HOUR, importHistory, MIN, wallClock } from '../helpers/occupancy.ts';

const TZ = TEST_TIME_ZONE;
/** A Wednesday, 10:00 on the lots' clock. */
const NOW = zonedTime('2026-11-25T10:00', TZ);
// Tall enough for the whole view in one screenshot.
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 1180 } };
const LOT = 'office-park';
const SAMPLE = 5 * MIN;

/**
 * The truth: 100 spaces, full on weekdays 08:00–18:00, 20 vehicles the rest
 * of a weekday, 30 all weekend; nothing known today from 01:00 to 03:00. With
 * a sample every 5 minutes and a 5-minute stale threshold, each holds until
 * the next, and a missing one is a gap of exactly its 5 minutes.
 */
function truth(at: number): number | null {
  const { hour, weekday } = wallClock(at, TZ);
  if (at >= NOW - 10 * HOUR && hour >= 1 && hour < 3) return null;
  if (weekday >= 5) return 30;
  return hour >= 8 && hour < 18 ? 100 : 20;
}

/** The figures by their definitions (DESIGN.md §4), from the truth, 5 minutes at a time. */
function expected(from: number, stepMs: number, to = NOW) {
  let known = 0;
  let occupied = 0;
  let full = 0;
  for (let step = from; step < to; step += stepMs) {
    let stepKnown = 0;
    let stepOccupied = 0;
    for (let at = step; at < step + stepMs && at < to; at += SAMPLE) {
      const value = truth(at);
      if (value === null) continue;
      stepKnown++;
      stepOccupied += value;
    }
    known += stepKnown;
    occupied += stepOccupied;
    if (stepKnown > 0 && 100 - stepOccupied / stepKnown < 1) full += stepKnown;
  }
  const one = (v: number) => (Number.isInteger(Math.round(v * 10) / 10) ? String(Math.round(v)) : v.toFixed(1));
  return { mean: one(occupied / known), full: one((full * SAMPLE) / HOUR), live: one((100 * known * SAMPLE) / (to - from)) };
}

describe('web: a lot’s occupancy on the operator page', function () {
  this.timeout(180_000);
  let browser: Browser;
  let t: TestApp;
  let token: string;
  let page: Page;
  let problems: string[] = [];
  // The service's clock stands at NOW (nothing here needs it to run); the page's runs on from there
  // by the second or two it takes to draw, which moves no figure's last digit.
  let now = NOW;

  const openStats = async (lang: 'zh' | 'en', extra: BrowserContextOptions = {}) => {
    ({ page } = await offlinePage(browser, { ...DESKTOP, ...extra }));
    problems = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => msg.text().startsWith('CSP ') && problems.push(msg.text()));
    await page.addInitScript(() => document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP ${e.violatedDirective} ${e.blockedURI}`)));
    await page.goto(`${t.app.httpUrl}/operator?lang=${lang}`);
    await page.fill('#token-input', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator(`#own-lots [data-lot-id="${LOT}"] button[data-action=stats]`).click();
    await page.locator('#stats-chart canvas').waitFor();
    await page.locator('#heat-map td.heat').first().waitFor();
    await page.locator('#accuracy table').waitFor();
  };
  const figure = (key: string) => page.textContent(`#stats-figures [data-figure="${key}"]`);

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({ ADMIN_TOKEN, PUSH_INTERVAL_MS: '100', WRITE_RATE_LIMIT: '100000' }, { clock: () => now });
    ({ token } = await createOperator(t.app.httpUrl, 'Office Park Ltd'));
    const made = await api(t.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id: LOT, name: '办公园区停车场', nameEn: 'Office Park Car Park', capacity: 100, staleAfterS: 300 }) });
    assert.equal(made.status, 201);
    await importHistory(t.app.httpUrl, LOT, historyCsv(LOT, NOW - 35 * DAY, NOW, truth));
    // The service as it ran in the days before: it kept its forecasts, which have come true since.
    try {
      for (let at = NOW - 6 * DAY; at < NOW - DAY; at += 6 * HOUR) {
        now = at;
        await t.app.forecastAccuracy.tick();
      }
    } finally {
      now = NOW;
    }
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });
  afterEach(async () => {
    assert.deepEqual(problems, [], 'no page errors, no Content-Security-Policy violations');
    await page?.close();
  });

  it('shows the last week by default: its chart, and the figures the history was made to have (en)', async () => {
    await openStats('en');
    assert.equal(await page.textContent('#stats-title'), 'Occupancy: Office Park Car Park');
    assert.equal(await page.getAttribute('[data-period="week"]', 'aria-pressed'), 'true');
    const week = expected(zonedTime('2026-11-18T11:00', TZ), HOUR);
    assert.deepEqual(week, { mean: week.mean, full: '49', live: '98.8' }, 'the truth: 49 hours full, 2 of 167 hours unknown');
    assert.equal(await figure('mean'), `${week.mean} %`);
    assert.equal(await figure('peak'), '100 of 100 (first Wed 18 Nov 11:00)');
    assert.equal(await figure('full'), '49 h');
    assert.equal(await figure('live'), '98.8 %');
    assert.deepEqual(await page.$$eval('#stats-legend li', (items) => items.map((li) => li.textContent)), ['Mean occupied', 'Fewest–most', 'Capacity']);
    assert.equal(await page.getAttribute('#stats-chart', 'role'), 'img');
    assert.match((await page.getAttribute('#stats-chart', 'aria-label')) ?? '', /Office Park Car Park's occupancy \(vehicles\), last week/);
    const painted = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#stats-chart canvas')!;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    assert.ok(painted > 5000, `the chart is drawn (${painted} pixels)`);
    await page.screenshot({ path: `${ARTIFACTS_DIR}/history-operator-en.png`, fullPage: true });
  });

  it('shows the last day and the last 30 days with their own figures', async () => {
    await openStats('en');
    await page.click('[data-period="day"]');
    const day = expected(zonedTime('2026-11-24T10:15', TZ), 15 * MIN);
    assert.deepEqual([day.full, day.live], ['9.8', '91.6'], 'the truth: full Tuesday 10:15–18:00 and today 08:00–10:00; 2 of 23¾ hours unknown');
    await page.waitForFunction((text) => document.querySelector('#stats-figures [data-figure="live"]')?.textContent === text, `${day.live} %`);
    assert.equal(await figure('mean'), `${day.mean} %`);
    assert.equal(await figure('full'), `${day.full} h`);
    assert.equal(await page.getAttribute('[data-period="day"]', 'aria-pressed'), 'true');
    await page.click('[data-period="month"]');
    const month = expected(zonedTime('2026-10-26T11:00', TZ), HOUR);
    await page.waitForFunction((text) => document.querySelector('#stats-figures [data-figure="live"]')?.textContent === text, `${month.live} %`);
    assert.equal(await figure('mean'), `${month.mean} %`);
    assert.equal(await figure('full'), `${month.full} h`);
    assert.match((await figure('peak')) ?? '', /^100 of 100 \(first Mon 26 Oct 11:00\)$/);
  });

  it('shows a weekday × hour heat map of the last four weeks on the lots’ clock, every cell in words too', async () => {
    await openStats('en');
    const cells = await page.$$eval('#heat-map td.heat', (tds) => tds.map((td) => `${(td as HTMLElement).dataset.weekday}/${(td as HTMLElement).dataset.hour}=${td.textContent}`));
    assert.equal(cells.length, 7 * 24);
    const cell = (weekday: number, hour: number) => cells.find((c) => c.startsWith(`${weekday}/${hour}=`))!.split('=')[1];
    assert.equal(cell(0, 9), '100', 'Monday 09:00: full');
    assert.equal(cell(4, 17), '100', 'Friday 17:00: full');
    assert.equal(cell(4, 18), '20');
    assert.equal(cell(2, 1), '20', 'Wednesday 01:00: today’s gap is not in the four weeks before today');
    assert.equal(cell(5, 9), '30', 'Saturday');
    assert.equal(cell(6, 23), '30', 'Sunday');
    assert.deepEqual(await page.$$eval('#heat-map tbody th', (ths) => ths.map((th) => th.textContent)), ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);
    assert.match((await page.textContent('#heat-map caption')) ?? '', new RegExp(`last 4 weeks \\(%, ${TZ.replace('/', '\\/')} time\\)`));
    assert.match((await page.getAttribute('#heat-map td[data-weekday="0"][data-hour="9"]', 'class')) ?? '', /\bheat-10\b/);
    assert.equal(await page.getAttribute('#heat-map td[data-weekday="0"][data-hour="9"]', 'title'), 'Mon 09:00: 100 %');
  });

  it('shows the forecast accuracy the service measured for the lot', async () => {
    const { body } = await getJson<{ accuracy: { horizon: string; maePct: number; n: number; coverage: number }[] }>(t.app.httpUrl, `/api/lots/${LOT}/forecast?step=1h`);
    assert.ok(body.accuracy.length >= 3, JSON.stringify(body.accuracy));
    await openStats('en');
    const rows = await page.$$eval('#accuracy tbody tr', (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
    const horizons: Record<string, string> = { '30m': '30 min', '2h': '2 h', '1d': '1 day', '7d': '7 days' };
    assert.deepEqual(rows, body.accuracy.map((a) => [horizons[a.horizon], a.maePct.toFixed(1), `${Math.round(a.coverage * 100)} %`, String(a.n)]));
  });

  it('downloads the period’s history as CSV', async () => {
    await openStats('en');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#stats-csv')]);
    assert.equal(download.suggestedFilename(), `${LOT}-history.csv`);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    assert.equal(csv[0], 'lot,at,occupied,occupiedMin,occupiedMax,free,capacity,knownS');
    assert.equal(csv.length, 1 + 7 * 24, 'an hour a line, a week');
    assert.match(csv[1]!, new RegExp(`^${LOT},${new Date(zonedTime('2026-11-18T11:00', TZ)).toISOString()},100,100,100,0,100,3600$`));
    const href = (await page.getAttribute('#stats-csv', 'href'))!;
    assert.equal(csv.join('\n'), (await (await fetch(new URL(href, t.app.httpUrl))).text()).trim(), 'what the API answers');
  });

  it('says it all in Chinese, and passes axe-core', async () => {
    await openStats('zh', AXE_CONTEXT);
    assert.equal(await page.textContent('#stats-title'), '占用统计：办公园区停车场');
    assert.deepEqual(await page.$$eval('#stats-periods button', (bs) => bs.map((b) => b.textContent)), ['最近一天', '最近一周', '最近 30 天']);
    assert.equal(await figure('full'), '49 小时');
    assert.equal(await figure('live'), '98.8%');
    assert.equal(await figure('peak'), '100 / 100（首次：11月18日 周三 11:00）');
    assert.deepEqual(await page.$$eval('#heat-map tbody th', (ths) => ths.map((th) => th.textContent)), ['周一', '周二', '周三', '周四', '周五', '周六', '周日']);
    assert.equal(await page.textContent('#accuracy thead th'), '提前');
    assert.equal(await page.textContent('#stats-csv'), '下载本时段数据（CSV）');
    await page.screenshot({ path: `${ARTIFACTS_DIR}/history-operator-zh.png`, fullPage: true });
    const violations = await seriousViolations(page);
    assert.deepEqual(violations.map((v) => v.id), [], describeViolations(violations));
    // The language switched in place: said again in English.
    await page.click('#lang-toggle');
    assert.equal(await page.textContent('#stats-title'), 'Occupancy: Office Park Car Park');
    assert.equal(await figure('full'), '49 h');
  });
});

// History and forecasts on the pages, the pure parts (web/src/charts/series.ts,
// arrival-display.ts, lot-display.ts, the strings), run in Node: what the
// charts draw, the figures operators report, and how "arrive in" shows a lot —
// a forecast said as one, closed still closed, no forecast never 0.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import { arrivalPopupText, arrivalShown, arrivalText, closedByHoursAt, clusterText, nextWallTime } from '../../web/src/arrival-display.ts';
import {
  clockTime, dayChart, localDayOf, lowestPoint, minuteOfDay, periodFigures, periodRange, sameWeekdaysBefore, usualByTimeOfDay, weekHourHeat,
  type HistoryPoint,
} from '../../web/src/charts/series.ts';
import { chartStrings, reasonCode, reasonText } from '../../web/src/i18n-charts.ts';
import { LANGS } from '../../web/src/i18n.ts';
import { badgeText, clusterBadgeText, clusterSummary, shownState } from '../../web/src/lot-display.ts';
import { heatLevel } from '../../web/src/operator/heat-map.ts';
import { statsStrings } from '../../web/src/operator/stats-i18n.ts';
import { zonedTime } from '../helpers/clock.ts';

const SHANGHAI = 'Asia/Shanghai';
const BERLIN = 'Europe/Berlin';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

function point(at: number, occupied: number | null, options: { capacity?: number; knownS?: number; min?: number; max?: number } = {}): HistoryPoint {
  const capacity = options.capacity ?? 100;
  const knownS = occupied === null ? 0 : (options.knownS ?? 1800);
  return {
    at: iso(at), occupied, occupiedMin: occupied === null ? null : (options.min ?? occupied), occupiedMax: occupied === null ? null : (options.max ?? occupied),
    free: occupied === null ? null : capacity - occupied, capacity: occupied === null ? null : capacity, knownS,
  };
}

function lot(overrides: Partial<LotView> = {}): LotView {
  return {
    id: 'l', name: '测试', nameEn: 'Test', address: null, lat: 36.09, lon: 120.37, type: 'surface', status: 'open',
    openingHours: null, capacityDisabled: null, capacityCharging: null, capacityFamily: null, capacityWomen: null,
    baysCharging: null, baysDisabled: null, baysFamily: null, baysWomen: null,
    freeCharging: null, freeDisabled: null, freeFamily: null, freeWomen: null,
    fee: null, priceInfo: null, priceInfoEn: null, maxHeightCm: null, staleAfterS: null,
    capacity: 150, free: 50, occupied: 100, availability: 'available', stale: false,
    updatedAt: null, heardAt: null, clamped: false, openNow: null, opensAt: null, closesAt: null,
    ...overrides,
  };
}

describe('web: history and forecasts on the pages — the pure parts', () => {
  describe('the popup’s day', () => {
    const NOW = zonedTime('2026-11-25T10:10', SHANGHAI); // a Wednesday
    const day = localDayOf(NOW, SHANGHAI);

    it('takes the lots’ local day, 23 or 25 hours across a daylight-saving change, and the same weekday of the weeks before', () => {
      assert.deepEqual([day.start, day.end - day.start, day.weekday], [zonedTime('2026-11-25T00:00', SHANGHAI), DAY, 2]);
      const autumn = localDayOf(zonedTime('2026-10-25T12:00', BERLIN), BERLIN);
      assert.equal(autumn.end - autumn.start, 25 * HOUR);
      assert.equal(autumn.weekday, 6, 'a Sunday');
      const before = sameWeekdaysBefore(day.start, 4, SHANGHAI);
      assert.deepEqual(before.map((d) => clockTime(d.start, SHANGHAI)), ['00:00', '00:00', '00:00', '00:00']);
      assert.deepEqual(before.map((d) => (day.start - d.start) / DAY), [7, 14, 21, 28]);
      // Four Sundays before the change in Berlin start at local midnight too.
      assert.ok(sameWeekdaysBefore(zonedTime('2026-11-01T00:00', BERLIN), 4, BERLIN).every((d) => minuteOfDay(d.start, BERLIN) === 0));
    });

    it('makes the usual of a weekday the mean of the days where each time was known, and leaves a time known on none out', () => {
      const days = [0, 1, 2].map((week) => {
        const start = day.start - (week + 1) * 7 * DAY;
        return [point(start, 20 + week * 10), point(start + 30 * MIN, week === 1 ? null : 40), point(start + HOUR, null)];
      });
      const usual = usualByTimeOfDay(days, SHANGHAI);
      assert.equal(usual.get(0), 100 - 30, 'mean free of 80, 70, 60');
      assert.equal(usual.get(30), 60, 'the day without data is left out, not counted as 0');
      assert.equal(usual.has(60), false, 'a time known on no day is a gap');
    });

    it('draws today up to now, gaps as gaps, the forecast from the step after now with its band, joined to today’s line', () => {
      const step = 30 * MIN;
      const today = Array.from({ length: 48 }, (_, i) => {
        const at = day.start + i * step;
        if (at > NOW) return point(at, null);
        return point(at, i === 4 || i === 5 ? null : 60);
      });
      const forecast = [21, 22, 23].map((i) => ({ at: iso(day.start + i * step + step / 2), occupied: 70, free: 80, low: 70, high: 90 }));
      const chart = dayChart({ today, forecast, usual: new Map([[0, 55], [600, 45]]), day, stepMs: step, nowMs: NOW, capacity: 100, timeZone: SHANGHAI });
      assert.equal(chart.current, 20, '10:00–10:30 holds 10:10');
      assert.deepEqual([chart.today[3], chart.today[4], chart.today[5], chart.today[20], chart.today[21]], [40, null, null, 40, null]);
      assert.equal(chart.x[3], (day.start + 3 * step + step / 2) / 1000, 'a step is drawn at its middle');
      assert.equal(chart.x[20], NOW / 1000, 'the step holding now no later than now');
      assert.deepEqual(chart.forecast.slice(19, 25), [null, 40, 80, 80, 80, null], 'the forecast starts at today’s last value');
      assert.deepEqual([chart.low[20], chart.high[20], chart.low[21], chart.high[21]], [40, 40, 70, 90]);
      assert.deepEqual([chart.usual[0], chart.usual[1], chart.usual[20]], [55, null, 45]);
      assert.deepEqual(lowestPoint(chart, chart.forecast, chart.current + 1), { value: 80, at: day.start + 21 * step });
      assert.deepEqual([chart.start, chart.end, chart.capacity], [day.start / 1000, day.end / 1000, 100]);
    });

    it('leaves the forecast unjoined when nothing is known now', () => {
      const step = 30 * MIN;
      const today = Array.from({ length: 48 }, (_, i) => point(day.start + i * step, null));
      const forecast = [{ at: iso(day.start + 21 * step + step / 2), occupied: 70, free: 80, low: 70, high: 90 }];
      const chart = dayChart({ today, forecast, usual: new Map(), day, stepMs: step, nowMs: NOW, capacity: 100, timeZone: SHANGHAI });
      assert.deepEqual([chart.forecast[20], chart.forecast[21]], [null, 80]);
    });
  });

  describe('an operator’s figures and heat map', () => {
    const FROM = zonedTime('2026-11-23T00:00', SHANGHAI); // a Monday

    it('weighs the mean by the time known, takes the peak from the most at any moment, counts full time and live time', () => {
      const points = [
        point(FROM, 50, { knownS: 3600, max: 70 }),
        point(FROM + HOUR, 100, { knownS: 1800, min: 99 }),
        point(FROM + 2 * HOUR, 99.5, { knownS: 3600, max: 100 }),
        point(FROM + 3 * HOUR, null),
      ];
      const figures = periodFigures(points, FROM, FROM + 4 * HOUR, FROM + 4 * HOUR);
      assert.equal(figures.meanPct!.toFixed(3), ((50 * 3600 + 100 * 1800 + 99.5 * 3600) / (100 * 9000) * 100).toFixed(3));
      assert.deepEqual(figures.peak, { occupied: 100, capacity: 100, at: FROM + HOUR }, 'the first step that reached the most');
      assert.equal(figures.fullHours, 1.5, 'the steps whose mean left less than one space free, by their known time');
      assert.equal(figures.livePct, 62.5);
      const empty = periodFigures([point(FROM, null)], FROM, FROM + HOUR, FROM + HOUR);
      assert.deepEqual(empty, { meanPct: null, peak: null, fullHours: 0, livePct: 0 });
      assert.equal(periodFigures(points, FROM, FROM + 8 * HOUR, FROM + 4 * HOUR).livePct, 62.5, 'only the time up to now counts');
    });

    it('averages occupancy by local weekday and hour, weighted by the time known, and leaves an hour never known empty', () => {
      const points = [
        point(FROM + 9 * HOUR, 80, { knownS: 3600 }), // Monday 09:00
        point(FROM + 7 * DAY + 9 * HOUR, 40, { knownS: 1200 }),
        point(FROM + 5 * DAY + 23 * HOUR, 30, { knownS: 3600 }), // Saturday 23:00
      ];
      const heat = weekHourHeat(points, SHANGHAI);
      assert.equal(heat.length, 7);
      assert.ok(heat.every((row) => row.length === 24));
      assert.equal(heat[0]![9]!.pct, 70);
      assert.equal(heat[0]![9]!.knownS, 4800);
      assert.equal(heat[5]![23]!.pct, 30);
      assert.equal(heat[1]![9]!.pct, null);
      assert.deepEqual([heatLevel(null), heatLevel(0), heatLevel(9.9), heatLevel(70), heatLevel(100)], ['none', '0', '0', '7', '10']);
    });

    it('reads a period up to the end of the step holding now, back a day, a week or 30 local days', () => {
      const now = zonedTime('2026-11-25T10:20', SHANGHAI);
      assert.deepEqual(periodRange('day', now, SHANGHAI), { from: zonedTime('2026-11-24T10:30', SHANGHAI), to: zonedTime('2026-11-25T10:30', SHANGHAI) });
      assert.deepEqual(periodRange('week', now, SHANGHAI), { from: zonedTime('2026-11-18T11:00', SHANGHAI), to: zonedTime('2026-11-25T11:00', SHANGHAI) });
      const berlin = periodRange('week', zonedTime('2026-10-28T10:20', BERLIN), BERLIN);
      assert.equal(berlin.to - berlin.from, 7 * DAY + HOUR, 'a week across the end of summer time is an hour longer');
      assert.equal(clockTime(berlin.from, BERLIN), '11:00');
    });
  });

  describe('"arrive in"', () => {
    const NOW = zonedTime('2026-11-25T10:00', SHANGHAI);
    const AT = NOW + 30 * MIN;
    const forecast = (free: number | null, reason?: string) => ({ at: iso(AT), free, low: free === null ? null : free - 5.4, high: free === null ? null : free + 6.6, ...(reason ? { reason } : {}) });

    it('shows the forecast, rounded, coloured by what it leaves free — never the live count', () => {
      const shown = arrivalShown(lot(), forecast(37.6), AT);
      assert.deepEqual(shown, { availability: 'available', free: 38, forecast: { at: AT, low: 32.2, high: 44.2 } });
      assert.equal(badgeText(shown), '≈38');
      assert.equal(arrivalShown(lot(), forecast(9), AT).availability, 'almost_full');
      assert.equal(arrivalShown(lot(), forecast(0.2), AT).availability, 'full');
      assert.equal(badgeText(arrivalShown(lot(), forecast(0.2), AT)), '≈0');
    });

    it('says "?" with the reason where there is no forecast, not 0; a lot not open, or closed by its hours then, shows closed', () => {
      const none = arrivalShown(lot(), forecast(null, 'too_little_history: 2.0 days'), AT);
      assert.deepEqual([none.availability, none.free, badgeText(none), none.forecast?.reason], ['unknown', null, '?', 'too_little_history: 2.0 days']);
      assert.equal(arrivalShown(lot(), undefined, AT).forecast?.reason, 'pending', 'not received yet');
      const building = arrivalShown(lot({ status: 'under_construction', availability: 'closed' }), forecast(40), AT);
      assert.deepEqual([building.availability, building.free, badgeText(building)], ['closed', null, '–']);
      const closing = lot({ openNow: true, closesAt: iso(NOW + 20 * MIN) });
      assert.equal(arrivalShown(closing, forecast(40), AT).availability, 'closed', 'it closes before the arrival');
      assert.equal(arrivalShown(closing, forecast(40), NOW + 10 * MIN).free, 40);
      const opening = lot({ openNow: false, opensAt: iso(NOW + 20 * MIN), availability: 'closed' });
      assert.equal(arrivalShown(opening, forecast(40), AT).free, 40, 'it opens before the arrival');
      assert.equal(closedByHoursAt(opening, NOW + 10 * MIN), true);
      assert.equal(closedByHoursAt(lot({ openNow: false, opensAt: null }), AT), true, 'closed for good by its hours');
    });

    it('says a forecast as one in both languages, in the list, the marker’s name, the popup and the cluster', () => {
      const shown = arrivalShown(lot(), forecast(37.6), AT);
      assert.equal(arrivalText(lot(), shown, 'en', SHANGHAI), '≈38 free expected at 10:30 (32–44)');
      assert.equal(arrivalText(lot(), shown, 'zh', SHANGHAI), '预计 10:30 约 38 个空位（32–44）');
      assert.equal(arrivalPopupText(lot(), shown, 'en', SHANGHAI), '≈38 free expected at 10:30 (likely 32–44)');
      const none = arrivalShown(lot(), forecast(null, 'no_recent_data: nothing known'), AT);
      assert.equal(arrivalText(lot(), none, 'en', SHANGHAI), 'no forecast for 10:30: no recent data');
      assert.equal(arrivalText(lot(), none, 'zh', SHANGHAI), '10:30 暂无预测：暂无最新数据');
      assert.equal(arrivalText(lot({ openNow: true, closesAt: iso(NOW) }), arrivalShown(lot({ openNow: true, closesAt: iso(NOW) }), forecast(40), AT), 'en', SHANGHAI), 'not open at 10:30');
      const summary = clusterSummary([{ lot: lot(), shown }, { lot: lot({ id: 'm' }), shown: arrivalShown(lot(), forecast(10), AT) }, { lot: lot({ id: 'n' }), shown: none }]);
      assert.deepEqual([summary.free, summary.forecastAt, clusterBadgeText(summary)], [48, AT, '≈48']);
      assert.equal(clusterText(summary, 'en', SHANGHAI), '3 car parks, about 48 free spaces expected at 10:30');
      const live = clusterSummary([{ lot: lot(), shown: shownState(lot(), NOW, Infinity) }]);
      assert.deepEqual([live.forecastAt, clusterBadgeText(live), clusterText(live, 'en', SHANGHAI)], [undefined, '50', '1 car parks, 50 free spaces']);
    });

    it('takes a time of day as the next moment the lots’ clock shows it: today’s, or tomorrow’s once passed', () => {
      assert.equal(nextWallTime('18:30', NOW, SHANGHAI), zonedTime('2026-11-25T18:30', SHANGHAI));
      assert.equal(nextWallTime('09:30', NOW, SHANGHAI), zonedTime('2026-11-26T09:30', SHANGHAI));
      assert.equal(nextWallTime('10:00', NOW, SHANGHAI), NOW);
      for (const bad of ['', '7:30', '24:00', '12:60', 'noon']) assert.equal(nextWallTime(bad, NOW, SHANGHAI), undefined, bad);
      // Across the end of summer time in Berlin: 18:00 the same day is 17 hours after 02:00 CEST… of a 25-hour day.
      assert.equal(clockTime(nextWallTime('18:00', zonedTime('2026-10-25T01:00', BERLIN), BERLIN)!, BERLIN), '18:00');
    });
  });

  it('has every chart and occupancy string in both languages, none empty, and reads the API’s reasons', () => {
    const check = (value: unknown, path: string): void => {
      if (typeof value === 'string') assert.ok(value.length > 0, path);
      else if (typeof value === 'function') assert.ok(String((value as (...a: unknown[]) => unknown)('3', 4, 5, '10:30')).length > 0, path);
      else if (value && typeof value === 'object') for (const [key, inner] of Object.entries(value)) check(inner, `${path}.${key}`);
    };
    for (const lang of LANGS) {
      check(chartStrings(lang), `charts.${lang}`);
      check(statsStrings(lang), `stats.${lang}`);
      assert.deepEqual(Object.keys(chartStrings(lang)), Object.keys(chartStrings('zh')));
      assert.deepEqual(Object.keys(statsStrings(lang)), Object.keys(statsStrings('zh')));
    }
    assert.equal(reasonCode('too_little_history: 2.0 days of data in the last 8 weeks, 7 needed'), 'too_little_history');
    assert.equal(reasonCode('not_ready: this lot’s forecast is being made; ask again in a moment'), 'not_ready');
    assert.equal(reasonCode('something new'), 'other');
    assert.equal(reasonText(undefined, 'zh'), '暂无预测');
    assert.equal(chartStrings('zh').legendUsual(2), '平常的周三');
    assert.equal(chartStrings('en').legendUsual(6), 'Usual Sunday');
  });
});

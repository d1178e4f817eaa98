// Forecasts (server/domain/forecast.ts): within 0…capacity, blind to
// everything at or after asOf, holidays by their own kind, daylight saving,
// Liipi's formula, "too little history" said, and the backtest's verdict.
// Synthetic, seeded data; no clock.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DEFAULT_FORECAST_METHOD, forecastLot, forecastMethodNames, seriesFromBuckets,
  type ForecastMethodName, type ForecastPoint, type Series,
} from '../../server/domain/forecast.ts';
import { chooseMethod, mae, runBacktest } from '../../server/domain/forecast/backtest.ts';
import { SLOTS_PER_WEEK } from '../../server/domain/forecast/series.ts';
import { SYNTHETIC_LOTS, syntheticYear } from '../../server/domain/forecast/synthetic.ts';
import { BUCKET_MS, stretch } from '../../server/domain/history.ts';
import { zonedTime } from '../helpers/clock.ts';

const SHANGHAI = 'Asia/Shanghai';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const year = syntheticYear({ seed: 7 });
const office = year.lots.find((l) => l.lot.id === 'office-400')!;
const lotOf = (capacity: number, timeZone = SHANGHAI) => ({ capacity, timeZone });
const horizons = [30 * 60_000, 2 * HOUR, 24 * HOUR, 7 * DAY];

const pick = (p: ForecastPoint) => [p.occupied, p.free];

function within(point: ForecastPoint, capacity: number) {
  if (point.occupied === null) {
    assert.deepEqual([point.free, point.low, point.high], [null, null, null]);
    assert.match(point.reason!, /^[a-z_]+: /);
    return;
  }
  assert.ok(point.low! >= 0 && point.low! <= point.free! && point.free! <= point.high! && point.high! <= capacity, JSON.stringify(point));
  assert.ok(point.occupied >= 0 && point.occupied <= capacity);
  assert.ok(Math.abs(point.occupied + point.free! - capacity) < 1e-9);
}

describe('domain: forecasts', () => {
  it('every method stays within 0…capacity (free, low, high), with low ≤ free ≤ high, at any asOf and horizon', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: year.lots.length - 1 }), fc.integer({ min: 1, max: 360 * 24 }), fc.constantFrom(...forecastMethodNames), (k, hours, method) => {
        const { lot, series } = year.lots[k]!;
        const asOf = year.start + hours * HOUR;
        const targets = [...horizons.map((h) => asOf + h), asOf + 5 * HOUR + 17 * 60_000];
        for (const point of forecastLot(series, asOf, targets, lotOf(lot.capacity), method).points) within(point, lot.capacity);
      }),
      { numRuns: 120 },
    );
  });

  it('uses only data observed before asOf: changing everything from asOf on (the bucket holding asOf too) changes no forecast', () => {
    for (const { lot, series } of year.lots.slice(0, 4)) {
      for (const asOf of [year.start + 100 * DAY + 7 * HOUR + 2 * 60_000, year.start + 200 * DAY + 18 * HOUR]) {
        const changed: Series = { start: series.start, occupied: series.occupied.slice() };
        const from = Math.floor((asOf - series.start) / BUCKET_MS);
        for (let i = from; i < changed.occupied.length; i++) changed.occupied[i] = i % 3 === 0 ? NaN : (i * 7919) % lot.capacity;
        for (const method of forecastMethodNames) {
          const targets = horizons.map((h) => asOf + h);
          assert.deepEqual(forecastLot(changed, asOf, targets, lotOf(lot.capacity), method), forecastLot(series, asOf, targets, lotOf(lot.capacity), method), `${lot.id} ${method}`);
        }
        // …while a change before asOf does change the forecast (the check can fail).
        const before: Series = { start: series.start, occupied: series.occupied.slice() };
        for (let i = from - 12; i < from; i++) before.occupied[i] = lot.capacity;
        assert.notDeepEqual(forecastLot(before, asOf, [asOf + horizons[0]!], lotOf(lot.capacity)), forecastLot(series, asOf, [asOf + horizons[0]!], lotOf(lot.capacity)));
      }
    }
  });

  it('a public holiday is forecast from past holidays, not from the weekday it falls on (National Day, a Wednesday)', () => {
    const at = (wall: string) => zonedTime(wall, SHANGHAI);
    const nationalDay = forecastLot(office.series, at('2025-09-30T20:00'), [at('2025-10-01T11:00')], lotOf(400)).points[0]!;
    const wednesday = forecastLot(office.series, at('2025-10-07T20:00'), [at('2025-10-08T11:00')], lotOf(400)).points[0]!;
    assert.ok(nationalDay.occupied! < 0.2 * 400, `National Day at 11:00: ${nationalDay.occupied}`);
    assert.ok(wednesday.occupied! > 0.6 * 400, `an ordinary Wednesday at 11:00: ${wednesday.occupied}`);
  });

  it('with no holiday in its history, a holiday is forecast like a Sunday', () => {
    // From 10 June (after Children's Day): no holiday until National Day.
    const from = Math.floor((zonedTime('2025-06-10T00:00', SHANGHAI) - office.series.start) / BUCKET_MS);
    const series: Series = { start: office.series.start + from * BUCKET_MS, occupied: office.series.occupied.slice(from) };
    const asOf = zonedTime('2025-09-30T20:00', SHANGHAI);
    const [holiday] = forecastLot(series, asOf, [zonedTime('2025-10-01T11:00', SHANGHAI)], lotOf(400)).points;
    const [sunday] = forecastLot(series, zonedTime('2025-09-27T20:00', SHANGHAI), [zonedTime('2025-09-28T11:00', SHANGHAI)], lotOf(400)).points;
    assert.ok(holiday!.occupied! < 0.2 * 400 && Math.abs(holiday!.occupied! - sunday!.occupied!) < 0.1 * 400, `${holiday!.occupied} vs Sunday ${sunday!.occupied}`);
  });

  it('profiles follow the local clock across a daylight-saving change (Europe/Berlin, 26 October 2025)', () => {
    const berlin = 'Europe/Berlin';
    const { series } = syntheticYear({ seed: 3, timeZone: berlin, lots: [SYNTHETIC_LOTS[0]!] }).lots[0]!;
    const at = (wall: string) => zonedTime(wall, berlin);
    const asOf = at('2025-10-25T20:00');
    // Monday after the change: the morning rise (about 08:20) stays at 08:20 on the new clock.
    const [seven, ten] = forecastLot(series, asOf, [at('2025-10-27T07:00'), at('2025-10-27T10:00')], lotOf(400, berlin)).points;
    assert.ok(seven!.occupied! < 0.15 * 400, `07:00: ${seven!.occupied}`);
    assert.ok(ten!.occupied! > 0.6 * 400, `10:00: ${ten!.occupied}`);
    // Seasonal-naive takes the same local slot a week earlier: 25 hours back across the change, not 24.
    const target = at('2025-10-27T07:00');
    const [naive] = forecastLot(series, asOf, [target], lotOf(400, berlin), 'seasonal-naive').points;
    const weekBefore = series.occupied[(at('2025-10-20T07:00') - series.start) / BUCKET_MS]!;
    assert.equal(at('2025-10-27T07:00') - at('2025-10-20T07:00'), 7 * DAY + HOUR);
    assert.equal(naive!.occupied, Math.round(weekBefore * 10) / 10);
  });

  it('too little history says so: null numbers and a reason, never a number from nothing', () => {
    const asOf = year.start + 3 * DAY;
    const young = forecastLot(office.series, asOf, [asOf + HOUR], lotOf(400)).points[0]!;
    assert.deepEqual([young.occupied, young.free, young.low, young.high], [null, null, null, null]);
    assert.match(young.reason!, /^too_little_history: 3\.0 days of data in the last 8 weeks, 7 needed/);
    for (const method of ['seasonal-naive', 'liipi'] as ForecastMethodName[]) {
      assert.match(forecastLot(office.series, asOf, [asOf + HOUR], lotOf(400), method).points[0]!.reason!, /^too_little_history/);
    }
    // A sensor silent for the last two hours: no current value for persistence; the profile still forecasts from the usual week.
    const silent: Series = { start: office.series.start, occupied: office.series.occupied.slice() };
    const later = year.start + 120 * DAY + 9 * HOUR;
    const n = (later - silent.start) / BUCKET_MS;
    silent.occupied.fill(NaN, n - 24, n);
    assert.match(forecastLot(silent, later, [later + HOUR], lotOf(400), 'persistence').points[0]!.reason!, /^no_recent_data/);
    within(forecastLot(silent, later, [later + HOUR], lotOf(400)).points[0]!, 400);
    assert.notEqual(forecastLot(silent, later, [later + HOUR], lotOf(400)).points[0]!.occupied, null);
    // A target before asOf is history, not a forecast.
    assert.match(forecastLot(office.series, later, [later - HOUR], lotOf(400)).points[0]!.reason!, /^not_after_asOf/);
  });

  it("Liipi's predictor: the current value plus the mean change from the same moment 1–3 weeks ago, scaled by recent volatility, within capacity", () => {
    const start = zonedTime('2025-03-03T00:00', SHANGHAI);
    const n = 4 * SLOTS_PER_WEEK;
    const occupied = new Float64Array(n).fill(50);
    // 2 h after "now", k weeks back, the lot had 10·k more cars than at "now" k weeks back.
    for (const k of [1, 2, 3]) occupied[n - 1 - k * SLOTS_PER_WEEK + 24] = 50 + 10 * k;
    const asOf = start + n * BUCKET_MS;
    const target = start + (n - 1 + 24) * BUCKET_MS;
    // Steady at 60 for the last two hours: no more volatile than usual, factor 1. In spaces: 40 free now, mean change −20 → 20 free.
    const steady = occupied.slice().fill(60, n - 25, n);
    assert.deepEqual(pick(forecastLot({ start, occupied: steady }, asOf, [target], lotOf(100), 'liipi').points[0]!), [80, 20]);
    // Jumped to 60 just now: recent volatility 9.6 against the usual (at least) 1, so the change is scaled ×9.6 — and clamped at capacity (Liipi's went past it, parkandrideAPI#290).
    const jumped = occupied.slice();
    jumped[n - 1] = 60;
    assert.deepEqual(pick(forecastLot({ start, occupied: jumped }, asOf, [target], lotOf(100), 'liipi').points[0]!), [100, 0]);
  });

  it('reads history buckets as the recorder keeps them', () => {
    const start = year.start;
    const buckets = [];
    for (let i = 0; i < 10 * 288; i++) if (!Number.isNaN(office.series.occupied[i]!)) buckets.push(stretch(start + i * BUCKET_MS, BUCKET_MS, office.series.occupied[i]!, 400));
    const series = seriesFromBuckets(buckets, start, start + 10 * DAY);
    assert.deepEqual(series.occupied, office.series.occupied.subarray(0, 10 * 288));
  });
});

describe('domain: the forecast backtest', () => {
  it(`is deterministic, and its chosen method (${DEFAULT_FORECAST_METHOD}) beats persistence and seasonal-naive at every horizon`, function () {
    this.timeout(60_000);
    const options = { seed: 11, days: 84, everyHours: 31, lots: [SYNTHETIC_LOTS[1]!, SYNTHETIC_LOTS[2]!] };
    const result = runBacktest(options);
    assert.deepEqual(runBacktest(options), result);
    const maes = (m: string) => result.overall[m]!.map(mae);
    for (const baseline of ['persistence', 'seasonal-naive']) {
      maes(DEFAULT_FORECAST_METHOD).forEach((v, j) => assert.ok(v < maes(baseline)[j]!, `${DEFAULT_FORECAST_METHOD} ${v} vs ${baseline} ${maes(baseline)[j]} at horizon ${j}`));
    }
    assert.equal(chooseMethod(result).method, DEFAULT_FORECAST_METHOD);
  });
});

// The shortcuts the history and forecast reads take for speed (issue 10,
// item 6) give exactly what the plain way gives: instants named without a
// Date, two quantiles selected instead of sorted, zone offsets found by
// bisection, one calendar table shared by every series start, and the
// packed rows the repository decodes.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { calendarFor, quantile, quantilesOf } from '../../server/domain/forecast/series.ts';
import { BUCKET_MS, isoOf } from '../../server/domain/history.ts';
import { zoneOffsetMs } from '../../server/domain/zone.ts';
import { unpack } from '../../server/history/repository.ts';

/** The offset as Intl gives it, asked afresh. */
function intlOffset(ms: number, timeZone: string): number {
  const f: Record<string, number> = {};
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  for (const part of format.formatToParts(new Date(ms))) if (part.type !== 'literal') f[part.type] = Number(part.value);
  return Date.UTC(f.year!, f.month! - 1, f.day!, f.hour!, f.minute!, f.second!) - (ms - (ms % 1000));
}

describe('domain: history and forecast fast paths', () => {
  it('isoOf names every instant as toISOString does', () => {
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 253402300799999 }), (ms) => assert.equal(isoOf(ms), new Date(ms).toISOString())), { numRuns: 5000 });
    for (let ms = Date.UTC(2026, 11, 31, 23, 0); ms < Date.UTC(2027, 0, 1, 1, 0); ms += BUCKET_MS + 7) assert.equal(isoOf(ms), new Date(ms).toISOString());
  });

  it('quantilesOf selects what quantile of the sorted numbers gives', () => {
    const values = fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 300 });
    fc.assert(fc.property(values, (list) => {
      const sorted = Float64Array.from(list).sort();
      const [lo, hi] = quantilesOf(Float64Array.from(list), list.length, 0.1, 0.9);
      // (+ 0: a zero's sign may differ, its value not)
      assert.equal(lo + 0, quantile(sorted, 0.1) + 0);
      assert.equal(hi + 0, quantile(sorted, 0.9) + 0);
    }), { numRuns: 2000 });
  });

  it('zone offsets match Intl around daylight-saving changes, in zones an hour, half an hour and 45 minutes off', () => {
    const zones: [string, number][] = [['Europe/Berlin', Date.UTC(2026, 2, 29, 0)], ['Europe/Berlin', Date.UTC(2026, 9, 25, 0)], ['Australia/Lord_Howe', Date.UTC(2026, 3, 4, 14)], ['Pacific/Chatham', Date.UTC(2026, 3, 4, 13)], ['Asia/Shanghai', Date.UTC(2026, 9, 1, 0)]];
    for (const [zone, around] of zones) {
      for (let ms = around - 6 * 3_600_000; ms < around + 6 * 3_600_000; ms += 60_000 + 13) assert.equal(zoneOffsetMs(ms, zone), intlOffset(ms, zone), `${zone} at ${new Date(ms).toISOString()}`);
    }
  });

  it('a calendar reads the same kind, slot and day shift for the same instant whatever the series start', () => {
    const zone = 'Europe/Berlin';
    const base = Date.UTC(2026, 9, 20);
    const a = calendarFor(base, 20 * 288, zone);
    for (const shift of [-3 * 288 - 5, 1, 288 * 2 + 17]) {
      const b = calendarFor(base + shift * BUCKET_MS, 20 * 288, zone);
      for (let i = 0; i < 10 * 288; i += 7) {
        assert.equal(b.kind(i - shift), a.kind(i));
        assert.equal(b.slot(i - shift), a.slot(i));
        assert.equal(b.shiftDays(i - shift, -7) + shift, a.shiftDays(i, -7));
      }
    }
    // The day kinds and slots of Berlin's autumn change: 25 local hours on 25 October 2026.
    const day = calendarFor(Date.UTC(2026, 9, 24, 22), 400, zone);
    assert.equal(day.slot(0), 0);
    assert.equal(day.slot(25 * 12), 0, 'the next local midnight is 25 hours on');
    assert.equal(day.kind(0), 6, 'a Sunday');
  });

  it('unpack decodes packed rows, integers digit by digit and anything else by Number', () => {
    assert.deepEqual([...unpack('1796173500000:300000:60000000,1796173800000:299999:-3', 3)], [1796173500000, 300000, 60000000, 1796173800000, 299999, -3]);
    assert.deepEqual([...unpack('1.5:2e3,9007199254740993:0', 2)], [1.5, 2000, 9007199254740993, 0]);
    assert.equal(unpack('', 7).length, 0);
    assert.throws(() => unpack('1:2,3', 2), /fields/);
  });
});

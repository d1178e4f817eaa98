// Opening hours (server/domain/opening-hours.ts): open or not, and when that
// changes next, on a fixed clock in the lots' time zone; never the machine's
// clock, zone or date.
import assert from 'node:assert/strict';
import OpeningHours from 'opening_hours';
import { hoursAt, instantOfWallTime, isOpenAt, wallClock } from '../../server/domain/opening-hours.ts';
import { zonedTime } from '../helpers/clock.ts';

const SHANGHAI = 'Asia/Shanghai';
const iso = (ms: number | null | undefined) => (ms == null ? ms : new Date(ms).toISOString());
/** What hoursAt says, with the instant as an ISO string, for readable failures. */
const at = (hours: string | null, now: number, zone: string) => {
  const answer = hoursAt(hours, now, zone);
  return answer && { open: answer.open, changesAt: iso(answer.changesAt) };
};

describe('domain: opening hours, now and next', () => {
  it('is open inside its hours and says when it closes (Wednesday 10:00 in Shanghai → closes 22:00)', () => {
    assert.deepEqual(at('Mo-Fr 07:00-22:00', Date.parse('2026-11-25T10:00:00+08:00'), SHANGHAI), { open: true, changesAt: '2026-11-25T14:00:00.000Z' });
  });

  it('across midnight: closed at 23:30 → opens at 07:00 the next morning; closed at 03:00 → opens at 07:00 that morning', () => {
    assert.deepEqual(at('Mo-Fr 07:00-22:00', Date.parse('2026-11-25T23:30:00+08:00'), SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-11-26T07:00:00+08:00')) });
    assert.deepEqual(at('Mo-Fr 07:00-22:00', Date.parse('2026-11-26T03:00:00+08:00'), SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-11-26T07:00:00+08:00')) });
    // Friday night: the next opening is Monday's.
    assert.deepEqual(at('Mo-Fr 07:00-22:00', Date.parse('2026-11-27T22:00:00+08:00'), SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-11-30T07:00:00+08:00')) });
    // Hours that run past midnight close the next day.
    assert.deepEqual(at('Fr-Sa 18:00-02:00', Date.parse('2026-11-27T23:30:00+08:00'), SHANGHAI), { open: true, changesAt: iso(Date.parse('2026-11-28T02:00:00+08:00')) });
  });

  it('on a public holiday (PH off): closed on National Day, and opens again after the holidays', () => {
    const nationalDay = Date.parse('2026-10-01T12:00:00+08:00');
    assert.deepEqual(at('Mo-Su 08:00-20:00; PH off', nationalDay, SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-10-04T08:00:00+08:00')) });
    // The evening before, it closes at 20:00 as usual, and the next opening skips the holidays.
    assert.deepEqual(at('Mo-Su 08:00-20:00; PH off', Date.parse('2026-09-30T19:00:00+08:00'), SHANGHAI), { open: true, changesAt: iso(Date.parse('2026-09-30T20:00:00+08:00')) });
    assert.deepEqual(at('Mo-Su 08:00-20:00; PH off', Date.parse('2026-09-30T21:00:00+08:00'), SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-10-04T08:00:00+08:00')) });
    // Without "PH off", a holiday is a day like any other.
    assert.equal(isOpenAt('Mo-Su 08:00-20:00', nationalDay, SHANGHAI), true);
  });

  it('across a daylight-saving change: the next opening is on the clock of the lots’ zone after the change', () => {
    // Europe/Berlin goes back from 03:00 CEST to 02:00 CET on 2026-10-25: 21:00 → 08:00 is 12 h, not 11.
    assert.deepEqual(at('Mo-Su 08:00-20:00', Date.parse('2026-10-24T21:00:00+02:00'), 'Europe/Berlin'), { open: false, changesAt: iso(Date.parse('2026-10-25T08:00:00+01:00')) });
    // America/New_York skips 02:00-03:00 on 2026-03-08: a lot opening at 02:30 is open from the jump (03:00 EDT).
    assert.deepEqual(at('Mo-Su 02:30-04:00', Date.parse('2026-03-08T01:00:00-05:00'), 'America/New_York'), { open: false, changesAt: iso(Date.parse('2026-03-08T03:00:00-04:00')) });
    // …and repeats 01:00-02:00 on 2026-11-01: 01:30 comes twice; the next one is the one meant.
    assert.deepEqual(at('Mo-Su 01:30-05:00', Date.parse('2026-11-01T01:10:00-04:00'), 'America/New_York'), { open: false, changesAt: iso(Date.parse('2026-11-01T01:30:00-04:00')) });
    assert.deepEqual(at('Mo-Su 01:30-05:00', Date.parse('2026-11-01T01:10:00-05:00'), 'America/New_York'), { open: false, changesAt: iso(Date.parse('2026-11-01T01:30:00-05:00')) });
    assert.deepEqual(at('Mo-Su 01:30-05:00', Date.parse('2026-11-01T01:40:00-05:00'), 'America/New_York'), { open: true, changesAt: iso(Date.parse('2026-11-01T05:00:00-05:00')) });
  });

  it('flips exactly at the time it gives, as the library sees the lots’ clock, in a zone with daylight saving', () => {
    const values = ['Mo-Fr 07:00-22:00', 'Mo-Su 08:00-20:00; PH off', 'Sa,Su 02:15-03:45', 'Mo-Su 00:00-02:30'];
    const zone = 'Europe/Berlin';
    const library = (value: string, ms: number) => {
      const hours = new OpeningHours(value, { lat: 36.09, lon: 120.37, address: { country_code: 'cn', state: '山东省' } } as never, { mode: 0 } as never);
      const wall = wallClock(ms, zone);
      return hours.getState(wall) || hours.getUnknown(wall);
    };
    // Every 47 minutes over five days around the end of daylight saving.
    for (let now = Date.parse('2026-10-22T00:00:00Z'); now < Date.parse('2026-10-27T00:00:00Z'); now += 47 * 60_000) {
      for (const value of values) {
        const answer = hoursAt(value, now, zone)!;
        assert.equal(answer.open, library(value, now), `${value} at ${iso(now)}`);
        assert.ok(answer.changesAt !== null && answer.changesAt > now, `${value} at ${iso(now)} changes later`);
        assert.equal(library(value, answer.changesAt - 60_000), answer.open, `${value}: still the same a minute before ${iso(answer.changesAt)}`);
        assert.equal(library(value, answer.changesAt), !answer.open, `${value}: flipped at ${iso(answer.changesAt)}`);
      }
    }
  });

  it('never changes: 24/7 is open with no closing, "off" closed with no opening; no hours or unreadable ones say nothing (open)', () => {
    const now = Date.parse('2026-11-25T10:00:00+08:00');
    assert.deepEqual(at('24/7', now, SHANGHAI), { open: true, changesAt: null });
    assert.deepEqual(at('off', now, SHANGHAI), { open: false, changesAt: null });
    assert.equal(at(null, now, SHANGHAI), null);
    assert.equal(at('whenever we like', now, SHANGHAI), null);
    assert.equal(isOpenAt('whenever we like', now, SHANGHAI), true);
  });

  it('counts an "unknown" rule as open, and its next change as the next closing', () => {
    assert.deepEqual(at('Mo-Fr 08:00-12:00 unknown', Date.parse('2026-11-25T09:00:00+08:00'), SHANGHAI), { open: true, changesAt: iso(Date.parse('2026-11-25T12:00:00+08:00')) });
  });

  it('gives the same answer all along until the change, then the next one (whatever the order clocks ask in)', () => {
    const value = 'Mo-Fr 07:00-21:59';
    const closing = Date.parse('2026-11-25T21:59:00+08:00');
    assert.deepEqual(at(value, closing - 30 * 60_000, SHANGHAI), { open: true, changesAt: iso(closing) });
    assert.deepEqual(at(value, closing - 1, SHANGHAI), { open: true, changesAt: iso(closing) });
    assert.deepEqual(at(value, closing, SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-11-26T07:00:00+08:00')) });
    // A clock that goes back (another service in the same process, a test) gets its own time's answer.
    assert.deepEqual(at(value, closing - 60 * 60_000, SHANGHAI), { open: true, changesAt: iso(closing) });
    assert.deepEqual(at(value, Date.parse('2026-11-25T06:00:00+08:00'), SHANGHAI), { open: false, changesAt: iso(Date.parse('2026-11-25T07:00:00+08:00')) });
  });

  it('turns a wall time in a zone into its instant, in the hours daylight saving skips and repeats too', () => {
    assert.equal(iso(instantOfWallTime(Date.parse('2026-11-25T23:30:00Z'), SHANGHAI)), '2026-11-25T15:30:00.000Z');
    assert.equal(iso(instantOfWallTime(Date.parse('2026-03-29T02:30:00Z'), 'Europe/Berlin')), '2026-03-29T01:00:00.000Z', 'skipped: the jump');
    assert.equal(iso(instantOfWallTime(Date.parse('2026-10-25T02:30:00Z'), 'Europe/Berlin')), '2026-10-25T00:30:00.000Z', 'repeated: the first');
    assert.equal(iso(instantOfWallTime(Date.parse('2026-10-25T02:30:00Z'), 'Europe/Berlin', Date.parse('2026-10-25T01:00:00Z'))), '2026-10-25T01:30:00.000Z', 'repeated: the next');
    assert.equal(zonedTime('2026-11-25T10:00', SHANGHAI), Date.parse('2026-11-25T10:00:00+08:00'));
  });
});

// The operator form's weekly hours table ↔ OpenStreetMap opening_hours
// (web/src/operator/hours-table.ts): pure, run in Node. What the table
// writes must pass the server's check (server/domain/opening-hours.ts) and
// mean, by the `opening_hours` library, exactly what the table shows.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import OpeningHours from 'opening_hours';
import { isPublicHoliday, openingHoursProblem } from '../../server/domain/opening-hours.ts';
import {
  openAllWeek, rangeProblem, readOpeningHours, tableIsComplete, toOpeningHours, WEEKDAYS,
  type DayHours, type HolidayHours, type TimeRange, type WeekTable, type Weekday,
} from '../../web/src/operator/hours-table.ts';

/** The server's settings for the library (China's public holidays). */
const NOMINATIM = { lat: 36.09, lon: 120.37, address: { country_code: 'cn', state: '山东省' } };

function table(days: Partial<Record<Weekday, DayHours>>, holidays: HolidayHours = { kind: 'usual' }): WeekTable {
  const all = {} as Record<Weekday, DayHours>;
  for (const day of WEEKDAYS) all[day] = days[day] ?? { kind: 'closed' };
  return { days: all, holidays };
}
const hours = (...ranges: [string, string][]): DayHours => ({ kind: 'ranges', ranges: ranges.map(([from, to]) => ({ from, to })) });
const weekdays = (rule: DayHours) => ({ Mo: rule, Tu: rule, We: rule, Th: rule, Fr: rule });

/** What the table says at a moment: open or not. */
function tableOpen(t: WeekTable, day: Weekday, minute: number, holiday: boolean): boolean {
  const rule = holiday && t.holidays.kind !== 'usual' ? t.holidays : t.days[day];
  if (rule.kind === 'closed') return false;
  if (rule.kind === 'open24') return true;
  const at = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
  return rule.ranges.some((r) => at(r.from) <= minute && minute < at(r.to));
}

// A week in late November 2026 (no public holiday, no daylight-saving change in either hemisphere),
// Monday the 23rd; and Thursday 1 October 2026, China's National Day.
const WEEK_START = { year: 2026, month: 11, day: 23 };
const HOLIDAY = { year: 2026, month: 10, day: 1, weekday: 'Th' as Weekday };

/** The minutes of a day worth looking at for this table: every range's edges and a minute either side, and each hour. */
function minutesToCheck(t: WeekTable): number[] {
  const set = new Set<number>();
  for (let h = 0; h < 24; h++) set.add(h * 60 + 30);
  for (const rule of [...Object.values(t.days), t.holidays]) {
    if (rule.kind !== 'ranges') continue;
    for (const r of rule.ranges) {
      for (const time of [r.from, r.to]) {
        const m = Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
        for (const x of [m - 1, m, m + 1]) if (x >= 0 && x < 1440) set.add(x);
      }
    }
  }
  return [...set].sort((a, b) => a - b);
}

/** Checks, minute by minute where it matters, that the library reads `value` as the table says, on a plain week and on a holiday. */
function assertMeans(value: string, t: WeekTable): void {
  const library = new OpeningHours(value, NOMINATIM as never, { mode: 0 } as never);
  const minutes = minutesToCheck(t);
  WEEKDAYS.forEach((day, index) => {
    for (const m of minutes) {
      const at = new Date(WEEK_START.year, WEEK_START.month - 1, WEEK_START.day + index, Math.floor(m / 60), m % 60);
      assert.equal(library.getState(at), tableOpen(t, day, m, false), `${value}: ${day} ${Math.floor(m / 60)}:${m % 60}`);
    }
  });
  for (const m of minutes) {
    const at = new Date(HOLIDAY.year, HOLIDAY.month - 1, HOLIDAY.day, Math.floor(m / 60), m % 60);
    assert.equal(library.getState(at), tableOpen(t, HOLIDAY.weekday, m, true), `${value}: holiday ${Math.floor(m / 60)}:${m % 60}`);
  }
}

// ---- random tables (whole quarter hours and odd minutes; ranges in order, not overlapping, or overlapping)
const range: fc.Arbitrary<TimeRange> = fc
  .tuple(fc.integer({ min: 0, max: 1439 }), fc.integer({ min: 1, max: 1440 }))
  .filter(([from, to]) => to > from)
  .map(([from, to]) => ({
    from: `${String(Math.floor(from / 60)).padStart(2, '0')}:${String(from % 60).padStart(2, '0')}`,
    to: `${String(Math.floor(to / 60)).padStart(2, '0')}:${String(to % 60).padStart(2, '0')}`,
  }))
  .filter((r) => !(r.from === '00:00' && r.to === '24:00'));
const dayHours: fc.Arbitrary<DayHours> = fc.oneof(
  fc.constant<DayHours>({ kind: 'closed' }),
  fc.constant<DayHours>({ kind: 'open24' }),
  fc.array(range, { minLength: 1, maxLength: 3 }).map((ranges): DayHours => ({ kind: 'ranges', ranges })),
);
// Few distinct rules, so that days share them (groups like "Mo-Fr", "Sa,Su", "Mo,We").
const weekTable: fc.Arbitrary<WeekTable> = fc
  .tuple(fc.array(dayHours, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { minLength: 7, maxLength: 7 }), fc.oneof(fc.constant<HolidayHours>({ kind: 'usual' }), dayHours))
  .map(([rules, picks, holidays]) => {
    const days = {} as Record<Weekday, DayHours>;
    WEEKDAYS.forEach((day, i) => (days[day] = rules[picks[i]! % rules.length]!));
    return { days, holidays };
  });

/** The table as reading its string gives it back: ranges in order; holidays open 24 h in an all-week-24-h table are as usual. */
function normalised(t: WeekTable): WeekTable {
  const norm = (rule: DayHours): DayHours => (rule.kind === 'ranges'
    ? { kind: 'ranges', ranges: [...rule.ranges].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)) }
    : rule);
  const days = {} as Record<Weekday, DayHours>;
  for (const day of WEEKDAYS) days[day] = norm(t.days[day]);
  const all24 = WEEKDAYS.every((day) => days[day].kind === 'open24');
  const holidays: HolidayHours = t.holidays.kind === 'usual' || (all24 && t.holidays.kind === 'open24') ? { kind: 'usual' } : norm(t.holidays);
  return { days, holidays };
}

describe('web: the operator form’s weekly hours table ↔ opening_hours', () => {
  before(() => {
    assert.equal(isPublicHoliday(HOLIDAY.year, HOLIDAY.month, HOLIDAY.day), true, 'the library knows 1 October as a public holiday');
    assert.equal(new Date(HOLIDAY.year, HOLIDAY.month - 1, HOLIDAY.day).getDay(), 4, 'a Thursday');
  });

  it('writes days with the same hours as one rule, closed days as "off", holidays last', () => {
    const cases: [WeekTable, string][] = [
      [table({ ...weekdays(hours(['07:00', '22:00'])), Sa: hours(['08:00', '20:00']) }), 'Mo-Fr 07:00-22:00; Sa 08:00-20:00; Su off'],
      [table({ ...weekdays(hours(['07:00', '22:00'])), Sa: hours(['08:00', '20:00']), Su: hours(['08:00', '20:00']) }, { kind: 'closed' }),
        'Mo-Fr 07:00-22:00; Sa,Su 08:00-20:00; PH off'],
      [table({ Mo: hours(['08:00', '12:00']), We: hours(['08:00', '12:00']), Fr: hours(['08:00', '12:00']) }), 'Mo,We,Fr 08:00-12:00; Tu,Th,Sa,Su off'],
      [table({ Mo: hours(['14:00', '18:00'], ['08:00', '12:00']), Tu: { kind: 'open24' } }), 'Mo 08:00-12:00,14:00-18:00; Tu 00:00-24:00; We-Su off'],
      [table({ ...weekdays(hours(['18:00', '24:00'])) }, hours(['10:00', '16:00'])), 'Mo-Fr 18:00-24:00; Sa,Su off; PH 10:00-16:00'],
      [openAllWeek(), '24/7'],
      [{ ...openAllWeek(), holidays: { kind: 'closed' } }, '24/7; PH off'],
      [{ ...openAllWeek(), holidays: { kind: 'open24' } }, '24/7'],
      [table({}), 'Mo-Su off'],
    ];
    for (const [t, expected] of cases) {
      assert.equal(toOpeningHours(t), expected);
      assert.equal(openingHoursProblem(expected), undefined, `${expected} passes the server's check`);
      assertMeans(expected, t);
    }
  });

  it('reads back what a table can show, a later rule replacing an earlier one on its days', () => {
    assert.deepEqual(readOpeningHours('Mo-Fr 07:00-22:00; Sa 08:00-20:00; Su off'),
      table({ ...weekdays(hours(['07:00', '22:00'])), Sa: hours(['08:00', '20:00']) }));
    assert.deepEqual(readOpeningHours('Mo-Fr 07:00-22:00'), table(weekdays(hours(['07:00', '22:00']))), 'days no rule names are closed');
    assert.deepEqual(readOpeningHours('24/7'), openAllWeek());
    assert.deepEqual(readOpeningHours('Mo-Su 08:00-20:00; PH off'),
      table({ ...weekdays(hours(['08:00', '20:00'])), Sa: hours(['08:00', '20:00']), Su: hours(['08:00', '20:00']) }, { kind: 'closed' }));
    assert.deepEqual(readOpeningHours('Mo-Su 08:00-18:00; We off'),
      table({ Mo: hours(['08:00', '18:00']), Tu: hours(['08:00', '18:00']), Th: hours(['08:00', '18:00']), Fr: hours(['08:00', '18:00']), Sa: hours(['08:00', '18:00']), Su: hours(['08:00', '18:00']) }));
    assert.deepEqual(readOpeningHours('Sa-Mo 10:00-16:00'), table({ Sa: hours(['10:00', '16:00']), Su: hours(['10:00', '16:00']), Mo: hours(['10:00', '16:00']) }), 'a range of days may wrap');
    assert.deepEqual(readOpeningHours('Mo-Fr 08:00 - 12:00 , 13:00-17:00; Su,PH off'),
      table(weekdays(hours(['08:00', '12:00'], ['13:00', '17:00'])), { kind: 'closed' }), 'spaces, and holidays named with a weekday');
    assert.deepEqual(readOpeningHours('Mo-Fr; Sa 09:00-13:00'), table({ ...weekdays({ kind: 'open24' }), Sa: hours(['09:00', '13:00']) }), 'days alone are open all day');
    assert.deepEqual(readOpeningHours('09:00-17:00'), readOpeningHours('Mo-Su 09:00-17:00'), 'hours alone are every day');
    assert.deepEqual(readOpeningHours('Mo-Fr 00:00-24:00; Sa,Su closed; PH 10:00-14:00'),
      table(weekdays({ kind: 'open24' }), hours(['10:00', '14:00'])));
  });

  it('reads as null what a table cannot show, so the text stays what is saved', () => {
    for (const value of [
      '', '   ',
      'Mo-Fr 22:00-02:00', // overnight
      'Mo-Fr 18:00-26:00', // extended hours
      'Jan-Mar Mo-Fr 08:00-18:00', // months
      'Mo-Fr 08:00-18:00 || "by appointment"', // fallback rule
      'Mo-Fr 08:00-12:00, We 14:00-18:00', // additional rule
      'Mo-Fr sunrise-sunset',
      'Mo-Fr 08:00+',
      'PH off; Mo-Fr 08:00-18:00', // a weekday rule after the holiday rule wins on a holiday weekday
      'SH off', 'Mo[1] 08:00-12:00', 'Mo-Fr 08:00-18:00 open', 'sometimes', 'Mo-Fr 8:00-18:00', 'Mo-Fr 12:00-08:00', 'PH-Mo off',
    ]) assert.equal(readOpeningHours(value), null, JSON.stringify(value));
  });

  it('writes, for any table, a string the server accepts, that means what the table shows and reads back as the same table', () => {
    fc.assert(
      fc.property(weekTable, (t) => {
        const value = toOpeningHours(t);
        assert.equal(openingHoursProblem(value), undefined, value);
        assertMeans(value, t);
        assert.deepEqual(readOpeningHours(value), normalised(t), value);
      }),
      { numRuns: 150 },
    );
  });

  it('says which ranges cannot be written yet: a time missing, or an end not after its start (an end of 24:00 is midnight)', () => {
    assert.equal(rangeProblem({ from: '', to: '12:00' }), 'missing');
    assert.equal(rangeProblem({ from: '08:00', to: '8:00' }), 'missing');
    assert.equal(rangeProblem({ from: '12:00', to: '08:00' }), 'endNotAfterStart');
    assert.equal(rangeProblem({ from: '12:00', to: '12:00' }), 'endNotAfterStart');
    assert.equal(rangeProblem({ from: '22:00', to: '24:00' }), undefined);
    assert.equal(rangeProblem({ from: '24:00', to: '24:00' }), 'missing');
    assert.equal(tableIsComplete(table({ Mo: hours(['08:00', '']) })), false);
    assert.equal(tableIsComplete(table({ Mo: { kind: 'ranges', ranges: [] } })), false);
    assert.equal(tableIsComplete(table({ Mo: hours(['08:00', '12:00']) }, hours(['09:00', '08:00']))), false);
    assert.equal(tableIsComplete(table({ Mo: hours(['08:00', '12:00']) }, hours(['09:00', '10:00']))), true);

  });
});

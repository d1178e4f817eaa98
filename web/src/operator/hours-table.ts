// Opening hours as a weekly table — per weekday closed, open 24 hours, or
// one or more time ranges; public holidays as on other days, or their own —
// and the OpenStreetMap `opening_hours` string it stands for, both ways.
// Only the part of the syntax that such a table can say is read: anything
// else (months, weeks, overnight ranges, comments, fallback rules, …) reads
// as null, and the text stays what is saved. Pure (no DOM): the unit tests
// run it in Node and check what it writes against the server's parser.

export type Weekday = 'Mo' | 'Tu' | 'We' | 'Th' | 'Fr' | 'Sa' | 'Su';
export const WEEKDAYS: readonly Weekday[] = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];

/** "HH:MM" on a 24-hour clock; an end may be "24:00" (midnight, at the day's end). */
export interface TimeRange {
  from: string;
  to: string;
}

export type DayHours = { kind: 'closed' } | { kind: 'open24' } | { kind: 'ranges'; ranges: TimeRange[] };
/** Public holidays (OSM `PH`, China's): as on the weekday they fall on, or hours of their own. */
export type HolidayHours = { kind: 'usual' } | DayHours;

export interface WeekTable {
  days: Record<Weekday, DayHours>;
  holidays: HolidayHours;
}

/** Every day open 24 hours, holidays as usual: how a lot with no opening hours behaves (it counts as open). */
export function openAllWeek(): WeekTable {
  const days = {} as Record<Weekday, DayHours>;
  for (const day of WEEKDAYS) days[day] = { kind: 'open24' };
  return { days, holidays: { kind: 'usual' } };
}

const START = /^([01]\d|2[0-3]):[0-5]\d$/;
const END = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;
const minutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** Why a range cannot be written: a time missing or not HH:MM, or an end not after its start. */
export type RangeProblem = 'missing' | 'endNotAfterStart';

export function rangeProblem(range: TimeRange): RangeProblem | undefined {
  if (!START.test(range.from) || !END.test(range.to)) return 'missing';
  if (minutes(range.to) <= minutes(range.from)) return 'endNotAfterStart';
  return undefined;
}

/** Whether every range of the table can be written. */
export function tableIsComplete(table: WeekTable): boolean {
  const rules: HolidayHours[] = [...WEEKDAYS.map((day) => table.days[day]), table.holidays];
  return rules.every((rule) => rule.kind !== 'ranges' || (rule.ranges.length > 0 && rule.ranges.every((r) => rangeProblem(r) === undefined)));
}

function sortedRanges(ranges: readonly TimeRange[]): TimeRange[] {
  return [...ranges].sort((a, b) => minutes(a.from) - minutes(b.from) || minutes(a.to) - minutes(b.to));
}

function hoursText(rule: DayHours): string {
  if (rule.kind === 'closed') return 'off';
  if (rule.kind === 'open24') return '00:00-24:00';
  return sortedRanges(rule.ranges).map((r) => `${r.from}-${r.to}`).join(',');
}

/** "Mo-Fr" for three or more days in a row, "Sa,Su" for two, "Mo,We" for days apart. */
function daysText(days: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && days[j + 1] === days[j]! + 1) j++;
    const run = days.slice(i, j + 1).map((d) => WEEKDAYS[d]!);
    parts.push(run.length >= 3 ? `${run[0]}-${run[run.length - 1]}` : run.join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The table as an `opening_hours` string: days with the same hours in one
 * rule, in weekday order ("Mo-Fr 07:00-22:00; Sa 08:00-20:00; Su off"),
 * closed days said ("off"), holidays last (a later rule wins on its days).
 * Every day open 24 hours is "24/7". The table must be complete (tableIsComplete).
 */
export function toOpeningHours(table: WeekTable): string {
  const rules: string[] = [];
  if (WEEKDAYS.every((day) => table.days[day].kind === 'open24')) rules.push('24/7');
  else {
    const groups = new Map<string, number[]>();
    WEEKDAYS.forEach((day, index) => {
      const text = hoursText(table.days[day]);
      groups.set(text, [...(groups.get(text) ?? []), index]);
    });
    for (const [text, days] of groups) rules.push(`${daysText(days)} ${text}`);
  }
  const { holidays } = table;
  const everyDay24 = rules[0] === '24/7';
  if (holidays.kind !== 'usual' && !(everyDay24 && holidays.kind === 'open24')) rules.push(`PH ${hoursText(holidays)}`);
  return rules.join('; ');
}

// ---- reading

const DAY = '(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)';
const DAY_RANGE = `${DAY}(?:\\s*-\\s*${DAY})?`;
const DAYS = `${DAY_RANGE}(?:\\s*,\\s*${DAY_RANGE})*`;
const TIME = '\\d{2}:\\d{2}';
const TIME_RANGE = `${TIME}\\s*-\\s*${TIME}`;
const TIMES = `${TIME_RANGE}(?:\\s*,\\s*${TIME_RANGE})*`;
/** One rule: days, hours, or both (hours: time ranges, "off" or "closed"). */
const RULE = new RegExp(`^(?:(${DAYS})(?:\\s+(${TIMES}|off|closed))?|(${TIMES}))$`);

/** The days a selector names: weekday indices (a range may wrap: "Sa-Mo"), and whether it names PH. */
function selectedDays(selector: string): { days: number[]; holidays: boolean } | null {
  const days: number[] = [];
  let holidays = false;
  for (const part of selector.split(',').map((p) => p.trim())) {
    const [first, last] = part.split('-').map((p) => p.trim()) as [string, string | undefined];
    if (first === 'PH' || last === 'PH') {
      if (last !== undefined) return null; // "PH-Mo" is no range
      holidays = true;
      continue;
    }
    const from = WEEKDAYS.indexOf(first as Weekday);
    const to = last === undefined ? from : WEEKDAYS.indexOf(last as Weekday);
    for (let d = from; ; d = (d + 1) % 7) {
      days.push(d);
      if (d === to) break;
    }
  }
  return { days, holidays };
}

function parseHours(text: string | undefined): DayHours | null {
  if (text === undefined) return { kind: 'open24' }; // days alone ("Mo-Fr") mean all day
  if (text === 'off' || text === 'closed') return { kind: 'closed' };
  const ranges: TimeRange[] = [];
  for (const part of text.split(',')) {
    const [from, to] = part.split('-').map((p) => p.trim()) as [string, string];
    // Overnight (22:00-02:00) and extended (18:00-26:00) times spill into the next day: not a table's.
    if (rangeProblem({ from, to }) !== undefined) return null;
    ranges.push({ from, to });
  }
  if (ranges.length === 1 && ranges[0]!.from === '00:00' && ranges[0]!.to === '24:00') return { kind: 'open24' };
  return { kind: 'ranges', ranges: sortedRanges(ranges) };
}

/**
 * The table an `opening_hours` string stands for, or null when a table cannot
 * say it (then the string itself must stay what is saved). Rules are read in
 * order, a later one replacing an earlier one on the days it names, as the
 * syntax says; days no rule names are closed. A holiday rule must come after
 * every weekday rule (before one, that weekday's rule would win on a holiday
 * falling on it, which a table cannot show). An empty string gives null too:
 * there are no hours to show.
 */
export function readOpeningHours(value: string): WeekTable | null {
  const text = value.trim();
  if (text === '') return null;
  const days = {} as Record<Weekday, DayHours>;
  for (const day of WEEKDAYS) days[day] = { kind: 'closed' };
  let holidays: HolidayHours = { kind: 'usual' };
  let holidaysSaid = false;
  const rules = text.split(';').map((rule) => rule.trim());
  for (const [index, rule] of rules.entries()) {
    if (rule === '' && index === rules.length - 1 && index > 0) continue; // a trailing ";"
    let hours: DayHours | null;
    let selected: { days: number[]; holidays: boolean } | null;
    if (rule === '24/7') {
      hours = { kind: 'open24' };
      selected = { days: [0, 1, 2, 3, 4, 5, 6], holidays: false };
    } else {
      const match = RULE.exec(rule);
      if (!match) return null;
      const [, selector, dayHours, timesOnly] = match;
      hours = parseHours(selector === undefined ? timesOnly : dayHours);
      selected = selector === undefined ? { days: [0, 1, 2, 3, 4, 5, 6], holidays: false } : selectedDays(selector);
    }
    if (!hours || !selected) return null;
    if (selected.days.length > 0 && holidaysSaid) return null;
    for (const d of selected.days) days[WEEKDAYS[d]!] = hours;
    if (selected.holidays) {
      holidays = hours;
      holidaysSaid = true;
    }
  }
  return { days, holidays };
}

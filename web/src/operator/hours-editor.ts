// The weekday-and-time editor under the lot form's opening-hours field: a
// row per weekday and one for public holidays (closed / open 24 hours / time
// ranges), which writes the OpenStreetMap string into the text field and
// reads it back from there (hours-table.ts). The text field stays, for
// experts, and is always what is saved: a string the table cannot show
// leaves the table off, saying so, until the operator chooses to replace it.
import { el } from '../dom.ts';
import {
  openAllWeek, rangeProblem, readOpeningHours, tableIsComplete, toOpeningHours, WEEKDAYS,
  type DayHours, type HolidayHours, type WeekTable, type Weekday,
} from './hours-table.ts';
import type { OperatorStrings } from './i18n.ts';

type Row = Weekday | 'PH';
type Kind = HolidayHours['kind'];
const ROWS: readonly Row[] = [...WEEKDAYS, 'PH'];
/** A new time range starts as this (the operator changes it). */
const NEW_RANGE = { from: '08:00', to: '20:00' };

/** What the editor shows about the text field. */
type State = 'unset' | 'table' | 'incomplete' | 'unreadable';

/** A time input's value as a range end: "00:00" is midnight at the end of the day (a time input cannot hold 24:00). */
const asEnd = (value: string) => (value === '00:00' ? '24:00' : value);
const fromEnd = (value: string) => (value === '24:00' ? '00:00' : value);

export class HoursEditor {
  readonly element = el('div', 'hours-editor');
  private readonly status = el('p', 'hours-status');
  private readonly replace = el('button', 'small hours-replace');
  private readonly fieldset = el('fieldset', 'hours-table');
  private readonly legend = el('legend');
  private readonly copyButton = el('button', 'small hours-copy');
  private readonly rows = new Map<Row, { row: HTMLElement; day: HTMLElement; kind: HTMLSelectElement; ranges: HTMLElement; add: HTMLButtonElement }>();
  private table: WeekTable = openAllWeek();
  private state: State = 'unset';
  private s: OperatorStrings | undefined;

  constructor(private readonly raw: HTMLInputElement) {
    this.status.id = 'hours-status';
    this.status.setAttribute('role', 'status');
    this.fieldset.id = 'hours-table';
    this.fieldset.append(this.legend);
    this.copyButton.type = 'button';
    this.copyButton.id = 'hours-copy-weekdays';
    this.copyButton.addEventListener('click', () => this.copyMondayToWeekdays());
    for (const row of ROWS) {
      this.fieldset.append(this.makeRow(row));
      // Right under Monday: the usual week is set on one day and copied.
      if (row === 'Mo') this.fieldset.append(this.copyButton);
    }
    this.replace.type = 'button';
    this.replace.id = 'hours-replace';
    this.replace.addEventListener('click', () => {
      this.table = openAllWeek();
      this.write();
    });
    this.element.append(this.fieldset, this.status, this.replace);
    this.raw.addEventListener('input', () => this.read());
    this.raw.setAttribute('aria-describedby', `${this.raw.getAttribute('aria-describedby') ?? ''} hours-status`.trim());
  }

  /** Shows what the text field holds now (the form loaded a lot, or an expert typed). */
  read(): void {
    const value = this.raw.value;
    const table = readOpeningHours(value);
    if (table) {
      this.table = table;
      this.state = 'table';
    } else if (value.trim() === '') {
      this.table = openAllWeek();
      this.state = 'unset';
    } else this.state = 'unreadable';
    this.render();
  }

  translate(s: OperatorStrings): void {
    this.s = s;
    this.legend.textContent = s.hours.legend;
    this.copyButton.textContent = s.hours.copyWeekdays;
    this.replace.textContent = s.hours.replace;
    for (const [row, parts] of this.rows) {
      parts.day.textContent = row === 'PH' ? s.hours.holidays : s.hours.days[row];
      for (const option of parts.kind.options) option.textContent = s.hours.kinds[option.value as Kind];
      parts.add.textContent = s.hours.addRange;
      parts.add.setAttribute('aria-label', s.hours.addRangeTo(parts.day.textContent));
    }
    this.render();
  }

  private makeRow(row: Row): HTMLElement {
    const element = el('div', 'hours-row');
    element.dataset.day = row;
    const day = el('span', 'hours-day');
    day.id = `hours-day-${row}`;
    const kind = el('select', 'hours-kind');
    kind.id = `hours-${row}`;
    kind.setAttribute('aria-labelledby', day.id);
    for (const value of [...(row === 'PH' ? ['usual'] : []), 'closed', 'open24', 'ranges'] as Kind[]) {
      const option = el('option');
      option.value = value;
      kind.append(option);
    }
    kind.addEventListener('change', () => {
      const value = kind.value as Kind;
      const next: HolidayHours = value === 'ranges' ? { kind: 'ranges', ranges: [{ ...NEW_RANGE }] } : { kind: value } as HolidayHours;
      this.setRule(row, next);
      this.write();
      if (value === 'ranges') this.rows.get(row)!.ranges.querySelector<HTMLInputElement>('input')?.focus();
    });
    const ranges = el('div', 'hours-ranges');
    const add = el('button', 'small hours-add');
    add.type = 'button';
    add.addEventListener('click', () => {
      const rule = this.rule(row);
      if (rule.kind !== 'ranges') return;
      rule.ranges.push({ ...NEW_RANGE });
      this.write();
      [...this.rows.get(row)!.ranges.querySelectorAll<HTMLInputElement>('.hours-from')].at(-1)?.focus();
    });
    element.append(day, kind, ranges, add);
    this.rows.set(row, { row: element, day, kind, ranges, add });
    return element;
  }

  private rule(row: Row): HolidayHours {
    return row === 'PH' ? this.table.holidays : this.table.days[row];
  }

  private setRule(row: Row, rule: HolidayHours): void {
    if (row === 'PH') this.table.holidays = rule;
    else this.table.days[row] = rule as DayHours;
  }

  private copyMondayToWeekdays(): void {
    const monday = this.table.days.Mo;
    for (const day of ['Tu', 'We', 'Th', 'Fr'] as const) {
      this.table.days[day] = monday.kind === 'ranges' ? { kind: 'ranges', ranges: monday.ranges.map((r) => ({ ...r })) } : { ...monday };
    }
    this.write();
  }

  /** The table changed: writes its string into the text field, once every range has both times. */
  private write(): void {
    if (tableIsComplete(this.table)) {
      this.raw.value = toOpeningHours(this.table);
      this.state = 'table';
    } else this.state = 'incomplete';
    this.render();
  }

  private render(): void {
    const s = this.s;
    if (!s) return;
    const unreadable = this.state === 'unreadable';
    this.fieldset.disabled = unreadable;
    this.replace.hidden = !unreadable;
    this.status.textContent =
      this.state === 'unset' ? s.hours.unset
      : this.state === 'unreadable' ? s.hours.unreadable
      : this.state === 'incomplete' ? s.hours.incomplete
      : '';
    this.element.dataset.state = this.state;
    for (const [row, parts] of this.rows) {
      const rule = this.rule(row);
      parts.kind.value = rule.kind;
      parts.add.hidden = rule.kind !== 'ranges';
      this.renderRanges(row, rule, s);
    }
  }

  private renderRanges(row: Row, rule: HolidayHours, s: OperatorStrings): void {
    const parts = this.rows.get(row)!;
    const ranges = rule.kind === 'ranges' ? rule.ranges : [];
    const dayName = parts.day.textContent ?? row;
    // Rebuilt only when the number of ranges changes, so typing keeps its focus.
    if (parts.ranges.childElementCount !== ranges.length) {
      parts.ranges.replaceChildren(...ranges.map((_, index) => this.makeRange(row, index)));
    }
    ranges.forEach((range, index) => {
      const box = parts.ranges.children[index] as HTMLElement;
      const [from, to] = box.querySelectorAll<HTMLInputElement>('input');
      if (from!.value !== range.from) from!.value = range.from;
      if (to!.value !== fromEnd(range.to)) to!.value = fromEnd(range.to);
      from!.setAttribute('aria-label', s.hours.fromLabel(dayName, index + 1));
      to!.setAttribute('aria-label', s.hours.toLabel(dayName, index + 1));
      const remove = box.querySelector('button')!;
      remove.setAttribute('aria-label', s.hours.removeRange(dayName, index + 1));
      remove.hidden = ranges.length === 1;
      const problem = rangeProblem(range);
      const note = box.querySelector<HTMLElement>('.hours-problem')!;
      note.textContent = problem === 'missing' ? s.hours.missing : problem === 'endNotAfterStart' ? s.hours.endNotAfterStart : '';
      for (const input of [from!, to!]) {
        if (problem) input.setAttribute('aria-invalid', 'true');
        else input.removeAttribute('aria-invalid');
      }
    });
  }

  private makeRange(row: Row, index: number): HTMLElement {
    const box = el('span', 'hours-range');
    const from = el('input', 'hours-from');
    const to = el('input', 'hours-to');
    const problem = el('span', 'hours-problem');
    problem.id = `hours-problem-${row}-${index}`;
    for (const input of [from, to]) {
      input.type = 'time';
      input.step = '60';
      input.setAttribute('aria-describedby', problem.id);
      input.addEventListener('input', () => {
        const rule = this.rule(row);
        if (rule.kind !== 'ranges' || !rule.ranges[index]) return;
        rule.ranges[index] = { from: from.value, to: asEnd(to.value) };
        this.write();
      });
    }
    const remove = el('button', 'small hours-remove', '×');
    remove.type = 'button';
    remove.addEventListener('click', () => {
      const rule = this.rule(row);
      if (rule.kind !== 'ranges' || rule.ranges.length < 2) return;
      rule.ranges.splice(index, 1);
      this.write();
      this.rows.get(row)!.kind.focus();
    });
    box.append(from, el('span', 'hours-dash', '–'), to, remove, problem);
    return box;
  }
}

// The weekday × hour heat map of a lot's occupancy, as a table: a row per
// weekday, a column per hour, each cell its mean occupancy in % (as text,
// so it reads without the colour, and to screen readers with its row and
// column headers), shaded in eleven steps of 10 %.
import type { HeatCell } from '../charts/series.ts';
import { el } from '../dom.ts';
import type { StatsStrings } from './stats-i18n.ts';

/** The shade of a cell: 0 (under 10 %) … 10 (100 %), or "none" with no data. */
export function heatLevel(pct: number | null): string {
  return pct === null ? 'none' : String(Math.min(10, Math.max(0, Math.floor(pct / 10))));
}

export function renderHeatMap(table: HTMLTableElement, cells: HeatCell[][], s: StatsStrings, timeZone: string): void {
  const caption = el('caption', undefined, s.heatCaption(timeZone));
  const head = el('thead');
  const headRow = el('tr');
  const corner = el('td', 'corner');
  headRow.append(corner);
  for (let hour = 0; hour < 24; hour++) {
    const th = el('th', undefined, String(hour));
    th.scope = 'col';
    headRow.append(th);
  }
  head.append(headRow);
  const body = el('tbody');
  cells.forEach((row, weekday) => {
    const tr = el('tr');
    const th = el('th', undefined, s.weekdays[weekday]!);
    th.scope = 'row';
    tr.append(th);
    row.forEach((cell, hour) => {
      const text = cell.pct === null ? '–' : String(Math.round(cell.pct));
      const td = el('td', `heat heat-${heatLevel(cell.pct)}`, text);
      td.title = s.heatCell(s.weekdays[weekday]!, hour, cell.pct === null ? '–' : s.percent(Math.round(cell.pct)));
      td.dataset.weekday = String(weekday);
      td.dataset.hour = String(hour);
      tr.append(td);
    });
    body.append(tr);
  });
  table.replaceChildren(caption, head, body);
}

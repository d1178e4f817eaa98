// What the pages' charts share (uPlot, bundled into the pages' scripts; its
// stylesheet is served from /vendor/uplot/): colours, fonts, time axes on the
// lots' clock, and the "now" line. A chart is drawn on a canvas through the
// CSSOM only, which the Content-Security-Policy allows (no inline styles).
// Every chart has its words beside it (a legend in text, a summary as its
// name): the canvas is an image (role="img") named by what it shows.
import uPlot from 'uplot';
import { DAY_MS, HOUR_MS, instantOfWall, localDay, wallOf, weekdayOfDay } from '../../../server/domain/zone.ts';

/** The charts' colours: history solid blue, forecasts dashed over a shaded band, the usual grey, now red. */
export const COLOURS = {
  history: '#0b5cad',
  forecast: '#0b5cad',
  band: 'rgba(11, 92, 173, 0.2)',
  usual: '#767676',
  now: '#c62828',
  range: 'rgba(11, 92, 173, 0.16)',
  capacity: '#c62828',
  grid: '#e6e6e6',
  axis: '#4a4a4a',
} as const;

export const FONT = '11px system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", sans-serif';

/**
 * Ticks at every `everyHours` hours of the local clock (00:00, 06:00, …) in
 * [startMs, endMs) — not at the end, where a label would be cut off — epoch seconds.
 */
export function hourTicks(startMs: number, endMs: number, everyHours: number, timeZone: string): number[] {
  const ticks: number[] = [];
  for (let day = localDay(startMs, timeZone); day <= localDay(endMs, timeZone); day++) {
    for (let hour = 0; hour < 24; hour += everyHours) {
      const at = instantOfWall(day * DAY_MS + hour * HOUR_MS, timeZone);
      if (at >= startMs && at < endMs && !ticks.includes(at / 1000)) ticks.push(at / 1000);
    }
  }
  return ticks;
}

/** Ticks at local midnights in [startMs, endMs) — every one, or Mondays only — epoch seconds. */
export function dayTicks(startMs: number, endMs: number, timeZone: string, mondaysOnly = false): number[] {
  const ticks: number[] = [];
  for (let day = localDay(startMs, timeZone); day <= localDay(endMs, timeZone); day++) {
    const at = instantOfWall(day * DAY_MS, timeZone);
    if (at >= startMs && at < endMs && (!mondaysOnly || weekdayOfDay(day) === 0)) ticks.push(at / 1000);
  }
  return ticks;
}

/** The wall-clock fields at epoch seconds `s` in the zone. */
export function wallParts(s: number, timeZone: string): { month: number; day: number; weekday: number; hour: number; minute: number } {
  const wall = new Date(wallOf(s * 1000, timeZone));
  return {
    month: wall.getUTCMonth() + 1, day: wall.getUTCDate(), weekday: weekdayOfDay(Math.floor(wall.getTime() / DAY_MS)),
    hour: wall.getUTCHours(), minute: wall.getUTCMinutes(),
  };
}

export const hhmm = (s: number, timeZone: string) => {
  const { hour, minute } = wallParts(s, timeZone);
  return `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
};

/** A time axis whose ticks and labels the caller gives (on the lots' clock, in the page's language). */
export function timeAxis(splits: (min: number, max: number) => number[], label: (s: number) => string): uPlot.Axis {
  return {
    stroke: COLOURS.axis, font: FONT, size: 28, gap: 4,
    grid: { stroke: COLOURS.grid, width: 1 }, ticks: { stroke: COLOURS.grid, width: 1, size: 4 },
    splits: (_u, _axis, min, max) => splits(min * 1000, max * 1000),
    values: (_u, values) => values.map(label),
  };
}

/** A count axis (spaces, vehicles) from 0 to `max`, whole numbers only. */
export function countAxis(label?: string): uPlot.Axis {
  return {
    stroke: COLOURS.axis, font: FONT, size: 36, gap: 4, labelFont: FONT, labelSize: label ? 14 : 0, ...(label ? { label } : {}),
    grid: { stroke: COLOURS.grid, width: 1 }, ticks: { show: false },
    values: (_u, values) => values.map((v) => (Number.isInteger(v) ? String(v) : '')),
  };
}

/**
 * A vertical marker at epoch seconds `at` with a short label at its top
 * ("now 10:12"), drawn after the series; `row` moves the label down a
 * line (two markers close together).
 */
export function marker(at: number, label: string, colour: string, dash: number[], row = 0): (u: uPlot) => void {
  return (u) => {
    const x = u.valToPos(at, 'x', true);
    if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) return;
    const { ctx } = u;
    const ratio = uPlot.pxRatio;
    ctx.save();
    ctx.strokeStyle = colour;
    ctx.lineWidth = 1.5 * ratio;
    ctx.setLineDash(dash.map((d) => d * ratio));
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = colour;
    ctx.font = `600 ${FONT.replace('11px', `${Math.round(10 * ratio)}px`)}`;
    const width = ctx.measureText(label).width;
    const right = x + 3 * ratio + width <= u.bbox.left + u.bbox.width;
    ctx.textAlign = right ? 'left' : 'right';
    ctx.textBaseline = 'top';
    ctx.fillText(label, right ? x + 3 * ratio : x - 3 * ratio, u.bbox.top + (2 + 12 * row) * ratio);
    ctx.restore();
  };
}

export { uPlot };

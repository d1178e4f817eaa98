// The chart in a lot's popup on the drivers' map: free spaces today so far
// (solid), the forecast for the rest of the day (dashed, over its shaded 80 %
// band), the usual for this weekday (grey: the mean of the last four), and
// now (red). Gaps — time nothing was known — stay gaps. The lot's day is
// fetched when its popup opens (history and forecast APIs, 30-minute steps)
// and kept a couple of minutes; the popup is rebuilt on every push for its
// lot, so the same chart element is handed back while the popup shows it.
import type { ForecastAnswerBody, HistoryAnswerBody } from '../../../server/domain/api-answers.ts';
import type { LotView } from '../../../server/domain/lot.ts';
import { startOfLocalStep } from '../../../server/domain/zone.ts';
import { el } from '../dom.ts';
import { chartStrings, reasonText } from '../i18n-charts.ts';
import type { Lang } from '../i18n.ts';
import { COLOURS, countAxis, hhmm, hourTicks, marker, timeAxis, uPlot } from './chart.ts';
import {
  dayChart, localDayOf, lowestPoint, sameWeekdaysBefore, usualByTimeOfDay, zoneOr,
  type DayChart, type ForecastPoint, type HistoryPoint, type LocalDay,
} from './series.ts';

const STEP = '30m';
const STEP_MS = 30 * 60_000;
/** The usual is the mean of this many same weekdays before today. */
const USUAL_WEEKS = 4;
/** How long a fetched day is drawn before it is asked for again. */
const FRESH_MS = 2 * 60_000;
/** A day that could not be fetched is asked for again after this (not on every push for the lot). */
const RETRY_MS = 15_000;
const KEPT_LOTS = 20;
const WIDTH = 256;
const HEIGHT = 136;

export interface LotDay {
  today: HistoryPoint[];
  forecast: ForecastPoint[];
  /** Why there is no forecast (the API's reason, or "failed"), when none of its points has a number. */
  forecastReason?: string;
  usual: Map<number, number>;
  day: LocalDay;
  fetchedAt: number;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return (await res.json()) as T;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A lot's day from the service: today's history, the forecast for the rest of it, and the same weekday of the last four weeks. */
export async function fetchLotDay(lotId: string, nowMs: number, timeZone: string): Promise<LotDay> {
  const day = localDayOf(nowMs, timeZone);
  const lot = `/api/lots/${encodeURIComponent(lotId)}`;
  const history = (from: number, to: number) =>
    getJson<HistoryAnswerBody>(`${lot}/history?from=${iso(from)}&to=${iso(to)}&step=${STEP}`).then((answer) => answer.points);
  // Each step after the one holding now, asked for at its middle (the forecast of a moment is its 5-minute bucket's).
  const forecastFrom = startOfLocalStep(nowMs, STEP_MS, timeZone) + STEP_MS + STEP_MS / 2;
  const forecast: Promise<ForecastPoint[] | 'failed'> = forecastFrom < day.end
    ? getJson<ForecastAnswerBody>(`${lot}/forecast?from=${iso(forecastFrom)}&to=${iso(day.end)}&step=${STEP}`).then((answer) => answer.points, () => 'failed' as const)
    : Promise.resolve([]);
  const usualDays = sameWeekdaysBefore(day.start, USUAL_WEEKS, timeZone).map((d) => history(d.start, d.end).catch(() => []));
  const [today, points, ...usual] = await Promise.all([history(day.start, day.end), forecast, ...usualDays]);
  const forecastPoints = points === 'failed' ? [] : points;
  const known = forecastPoints.some((p) => p.free !== null);
  const forecastReason = points === 'failed' ? 'failed' : known ? undefined : forecastPoints[0]?.reason;
  return {
    today, forecast: forecastPoints, usual: usualByTimeOfDay(usual, timeZone), day, fetchedAt: Date.now(),
    ...(forecastReason === undefined ? {} : { forecastReason }),
  };
}

export interface LotOutlookOptions {
  /** The service's clock (page-settings.ts). */
  now(): number;
  timeZone: string | undefined;
}

interface View {
  key: string;
  lotId: string;
  box: HTMLElement;
  chart?: uPlot;
}

export class LotOutlook {
  private readonly days = new Map<string, { promise: Promise<LotDay>; fetchedAt?: number; failedAt?: number }>();
  private view: View | undefined;

  constructor(private readonly options: LotOutlookOptions) {}

  /** The chart section of a lot's popup: the same element while the popup shows the same lot, language and arrival. */
  element(lot: LotView, lang: Lang, arrivalAt?: number): HTMLElement {
    const key = `${lot.id}|${lang}|${lot.capacity}|${arrivalAt ?? ''}`;
    const view = this.view;
    if (view?.key === key) {
      void this.day(lot.id).then((day) => day.fetchedAt === this.drawnAt(view) || this.draw(view, lot, lang, day, arrivalAt), () => {});
      return view.box;
    }
    this.close();
    const s = chartStrings(lang);
    // (The chart's room is kept while it loads: the popup, placed when it opened, does not grow past the map's edge.)
    const box = el('section', 'popup-outlook loading');
    box.dataset.lotId = lot.id;
    const title = el('h4', 'outlook-title', s.outlookTitle);
    title.id = `outlook-title-${lot.id}`;
    box.setAttribute('aria-labelledby', title.id);
    box.append(title, el('p', 'outlook-status', s.loading));
    const fresh: View = { key, lotId: lot.id, box };
    this.view = fresh;
    this.day(lot.id).then(
      (day) => this.draw(fresh, lot, lang, day, arrivalAt),
      () => {
        const status = this.view === fresh ? box.querySelector('.outlook-status') : null;
        box.classList.remove('loading');
        if (status) status.textContent = s.failed;
      },
    );
    return box;
  }

  /** A lot's popup closed (unset: whichever is open): its chart goes. */
  close(lotId?: string): void {
    if (lotId !== undefined && this.view?.lotId !== lotId) return;
    this.view?.chart?.destroy();
    this.view = undefined;
  }

  private drawnAt(view: View): number | undefined {
    const at = view.box.dataset.fetchedAt;
    return at === undefined ? undefined : Number(at);
  }

  /** The lot's day: the one fetched (or being fetched, or that failed just now), or a new one when that is older. */
  private day(lotId: string): Promise<LotDay> {
    const held = this.days.get(lotId);
    const now = Date.now();
    if (held) {
      if (held.failedAt !== undefined ? now - held.failedAt < RETRY_MS : held.fetchedAt === undefined || now - held.fetchedAt < FRESH_MS) return held.promise;
    }
    const entry: { promise: Promise<LotDay>; fetchedAt?: number; failedAt?: number } = {
      promise: fetchLotDay(lotId, this.options.now(), zoneOr(this.options.timeZone)),
    };
    this.days.delete(lotId);
    this.days.set(lotId, entry);
    while (this.days.size > KEPT_LOTS) this.days.delete(this.days.keys().next().value!);
    entry.promise.then(
      (day) => (entry.fetchedAt = day.fetchedAt),
      () => (entry.failedAt = Date.now()),
    );
    return entry.promise;
  }

  private draw(view: View, lot: LotView, lang: Lang, day: LotDay, arrivalAt: number | undefined): void {
    if (this.view !== view) return;
    const timeZone = zoneOr(this.options.timeZone);
    const s = chartStrings(lang);
    const chart = dayChart({
      today: day.today, forecast: day.forecast, usual: day.usual, day: day.day, stepMs: STEP_MS,
      nowMs: this.options.now(), capacity: lot.capacity, timeZone,
    });
    view.chart?.destroy();
    view.chart = undefined;
    view.box.dataset.fetchedAt = String(day.fetchedAt);
    const title = view.box.querySelector('.outlook-title')!;
    const parts: HTMLElement[] = [];
    const has = (series: (number | null)[]) => series.some((v) => v !== null);
    if (!has(chart.today) && !has(chart.forecast) && !has(chart.usual)) {
      parts.push(el('p', 'outlook-status', s.noHistory));
    } else {
      const canvas = el('div', 'outlook-chart');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', summary(chart, day, lang, timeZone));
      parts.push(canvas, legend(chart, day, lang, timeZone, arrivalAt));
      view.chart = new uPlot(options(chart, day, lang, timeZone, arrivalAt, canvas), [
        chart.x, chart.today, chart.forecast, chart.high, chart.low, chart.usual,
      ] as uPlot.AlignedData, canvas);
    }
    if (day.forecastReason !== undefined) parts.push(el('p', 'outlook-note', s.noForecast(reasonText(day.forecastReason, lang))));
    view.box.classList.remove('loading');
    view.box.replaceChildren(title, ...parts);
  }
}

function options(chart: DayChart, day: LotDay, lang: Lang, timeZone: string, arrivalAt: number | undefined, target: HTMLElement): uPlot.Options {
  const s = chartStrings(lang);
  const line = { points: { show: false }, spanGaps: false };
  const draw = [marker(chart.now, s.legendNow(hhmm(chart.now, timeZone)), COLOURS.now, [3, 3])];
  if (arrivalAt !== undefined && arrivalAt / 1000 > chart.now + 60 && arrivalAt / 1000 < chart.end) {
    draw.push(marker(arrivalAt / 1000, s.legendArrival(hhmm(arrivalAt / 1000, timeZone)), COLOURS.forecast, [1, 2], 1));
  }
  return {
    width: WIDTH, height: HEIGHT,
    legend: { show: false }, cursor: { show: false },
    padding: [10, 8, 0, 0],
    scales: { x: { time: false, range: [chart.start, chart.end] }, y: { range: [0, Math.max(1, chart.capacity)] } },
    axes: [timeAxis((min, max) => hourTicks(min, max, 6, timeZone), (v) => hhmm(v, timeZone)), countAxis()],
    series: [
      {},
      { label: s.legendToday, stroke: COLOURS.history, width: 2, ...line },
      { label: s.legendForecast, stroke: COLOURS.forecast, width: 2, dash: [5, 4], ...line },
      { label: 'high', stroke: 'rgba(0,0,0,0)', width: 0, ...line },
      { label: 'low', stroke: 'rgba(0,0,0,0)', width: 0, ...line },
      { label: s.legendUsual(day.day.weekday), stroke: COLOURS.usual, width: 1.5, ...line },
    ],
    bands: [{ series: [3, 4], fill: COLOURS.band }],
    hooks: {
      draw: [
        ...draw,
        // Where "now" is, for tests and styles: CSS pixels from the canvas's left edge.
        (u) => (target.dataset.nowX = String(Math.round(u.valToPos(chart.now, 'x', true) / uPlot.pxRatio))),
      ],
    },
  };
}

function legend(chart: DayChart, day: LotDay, lang: Lang, timeZone: string, arrivalAt: number | undefined): HTMLElement {
  const s = chartStrings(lang);
  const list = el('ul', 'outlook-legend');
  const item = (kind: string, text: string) => {
    const li = el('li', `legend-${kind}`);
    const swatch = el('span', `swatch swatch-${kind}`);
    swatch.setAttribute('aria-hidden', 'true');
    li.append(swatch, el('span', undefined, text));
    list.append(li);
  };
  item('today', s.legendToday);
  if (chart.forecast.some((v) => v !== null)) item('forecast', s.legendForecast);
  if (chart.usual.some((v) => v !== null)) item('usual', s.legendUsual(day.day.weekday));
  item('now', s.legendNow(hhmm(chart.now, timeZone)));
  if (arrivalAt !== undefined && arrivalAt / 1000 > chart.now + 60 && arrivalAt / 1000 < chart.end) item('arrival', s.legendArrival(hhmm(arrivalAt / 1000, timeZone)));
  return list;
}

/** The chart in words: its name for screen readers (role="img"). */
export function summary(chart: DayChart, day: Pick<LotDay, 'day'>, lang: Lang, timeZone: string): string {
  const s = chartStrings(lang);
  const parts = [s.summaryTitle(chart.capacity)];
  const today = lowestPoint(chart, chart.today);
  if (today) parts.push(s.summaryToday(Math.round(today.value), hhmm(today.at / 1000, timeZone)));
  const fewest = lowestPoint(chart, chart.forecast, chart.current + 1);
  if (fewest) parts.push(s.summaryForecast(Math.round(fewest.value), hhmm(fewest.at / 1000, timeZone)));
  const usual = lowestPoint(chart, chart.usual);
  if (usual) parts.push(s.summaryUsual(day.day.weekday, Math.round(usual.value), hhmm(usual.at / 1000, timeZone)));
  return parts.join(lang === 'zh' ? '' : ' ');
}

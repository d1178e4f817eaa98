// A lot's occupancy on the operator page: a chart over the last day, week or
// 30 days (the history API: mean occupied, the fewest–most band, capacity;
// gaps where nothing was known), the figures operators report for that
// period, a weekday × hour heat map of the last four weeks, the service's
// measured forecast accuracy for the lot, and the period's history as CSV.
// All on the lots' clock (TIME_ZONE), whatever the browser's; every text is
// set as text.
import type { ForecastAnswerBody, HistoryAnswerBody } from '../../../server/domain/api-answers.ts';
import { shiftLocalDays, startOfLocalStep } from '../../../server/domain/zone.ts';
import { COLOURS, countAxis, dayTicks, hhmm, hourTicks, timeAxis, uPlot, wallParts } from '../charts/chart.ts';
import { DAY_MS, PERIODS, periodFigures, periodRange, weekHourHeat, zoneOr, type Accuracy, type HistoryPoint, type Period, type Range } from '../charts/series.ts';
import { byId, el } from '../dom.ts';
import { now, timeZone as pageZone } from '../page-settings.ts';
import { renderHeatMap } from './heat-map.ts';
import type { Session } from './session.ts';
import { statsStrings, type StatsStrings } from './stats-i18n.ts';
import type { Ui } from './ui.ts';

/** The heat map's weeks: the last four, whole days. */
const HEAT_DAYS = 28;
const CHART_HEIGHT = 220;

async function getJson<T>(path: string, lang: string): Promise<T> {
  const res = await fetch(path, { headers: { Accept: 'application/json', 'Accept-Language': lang === 'zh' ? 'zh-CN' : 'en' } });
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  return (await res.json()) as T;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class StatsView {
  private readonly title = byId('stats-title');
  private readonly periods = [...byId('stats-periods').querySelectorAll<HTMLButtonElement>('[data-period]')];
  private readonly status = byId('stats-status');
  private readonly chartBox = byId('stats-chart');
  private readonly legend = byId<HTMLUListElement>('stats-legend');
  private readonly figures = byId<HTMLDListElement>('stats-figures');
  private readonly note = byId('stats-note');
  private readonly csv = byId<HTMLAnchorElement>('stats-csv');
  private readonly heat = byId<HTMLTableElement>('heat-map');
  private readonly accuracy = byId('accuracy');
  private lotId: string | undefined;
  private period: Period = 'week';
  private history: { lotId: string; period: Period; range: Range; points: HistoryPoint[] } | 'loading' | 'failed' = 'loading';
  private heatPoints: HistoryPoint[] | 'loading' | 'failed' = 'loading';
  private accuracyRows: Accuracy[] | 'loading' | 'failed' = 'loading';
  private chart: uPlot | undefined;
  /** Number each lot shown and each period loaded, so an answer for one no longer shown is dropped. */
  private generation = 0;
  private periodLoad = 0;

  constructor(
    private readonly session: Session,
    private readonly ui: Ui,
  ) {
    for (const button of this.periods) {
      button.addEventListener('click', () => {
        this.period = button.dataset.period as Period;
        void this.loadPeriod();
      });
    }
    byId<HTMLButtonElement>('stats-done').addEventListener('click', () => this.close());
    addEventListener('resize', () => this.chart?.setSize({ width: this.chartWidth(), height: CHART_HEIGHT }));
  }

  private get s(): StatsStrings {
    return statsStrings(this.session.lang);
  }

  private get zone(): string {
    return zoneOr(pageZone);
  }

  async show(lotId: string): Promise<void> {
    this.lotId = lotId;
    this.generation++;
    this.history = 'loading';
    this.heatPoints = 'loading';
    this.accuracyRows = 'loading';
    this.ui.show('stats');
    this.translate();
    const generation = this.generation;
    const lot = `/api/lots/${encodeURIComponent(lotId)}`;
    const today = startOfLocalStep(now(), DAY_MS, this.zone);
    const heatFrom = shiftLocalDays(today, -HEAT_DAYS, this.zone);
    const lang = this.session.lang;
    void getJson<HistoryAnswerBody>(`${lot}/history?from=${iso(heatFrom)}&to=${iso(today)}&step=1h`, lang).then(
      (answer) => generation === this.generation && ((this.heatPoints = answer.points), this.renderHeat()),
      () => generation === this.generation && ((this.heatPoints = 'failed'), this.renderHeat()),
    );
    // Only the accuracy is wanted (the forecast itself is made once and kept by the service).
    void getJson<ForecastAnswerBody>(`${lot}/forecast?step=1h`, lang).then(
      (answer) => generation === this.generation && ((this.accuracyRows = answer.accuracy ?? []), this.renderAccuracy()),
      () => generation === this.generation && ((this.accuracyRows = 'failed'), this.renderAccuracy()),
    );
    await this.loadPeriod();
  }

  /** The language changed: everything is said again. */
  translate(): void {
    const { s } = this;
    if (!this.lotId) return;
    const lot = this.session.lots.get(this.lotId);
    this.title.textContent = s.title(lot ? this.session.lotName(lot) : this.lotId);
    byId('stats-periods').setAttribute('aria-label', s.periodsLabel);
    for (const button of this.periods) button.textContent = s.period[button.dataset.period as Period];
    byId('heat-title').textContent = s.heatTitle;
    byId('accuracy-title').textContent = s.accuracyTitle;
    byId('stats-figures-title').textContent = s.figuresTitle;
    this.csv.textContent = s.csv;
    this.renderPeriod();
    this.renderHeat();
    this.renderAccuracy();
  }

  private close(): void {
    this.generation++;
    this.lotId = undefined;
    this.chart?.destroy();
    this.chart = undefined;
    this.ui.show('lots');
  }

  private async loadPeriod(): Promise<void> {
    const lotId = this.lotId;
    if (!lotId) return;
    const period = this.period;
    const generation = this.generation;
    const load = ++this.periodLoad;
    const range = periodRange(period, now(), this.zone);
    const { step } = PERIODS[period];
    const query = `from=${iso(range.from)}&to=${iso(range.to)}&step=${step}`;
    this.csv.href = `/api/lots/${encodeURIComponent(lotId)}/history.csv?${query}`;
    this.csv.download = ''; // the service names it: <lot>-history.csv
    this.history = 'loading';
    this.renderPeriod();
    try {
      const answer = await getJson<HistoryAnswerBody>(`/api/lots/${encodeURIComponent(lotId)}/history?${query}`, this.session.lang);
      if (generation !== this.generation || load !== this.periodLoad) return;
      this.history = { lotId, period, range, points: answer.points };
    } catch {
      if (generation !== this.generation || load !== this.periodLoad) return;
      this.history = 'failed';
    }
    this.renderPeriod();
  }

  private chartWidth(): number {
    return Math.max(280, Math.min(900, this.chartBox.parentElement!.clientWidth || 600));
  }

  private renderPeriod(): void {
    const { s } = this;
    for (const button of this.periods) button.setAttribute('aria-pressed', String(button.dataset.period === this.period));
    this.chart?.destroy();
    this.chart = undefined;
    this.chartBox.replaceChildren();
    this.legend.replaceChildren();
    this.figures.replaceChildren();
    this.note.textContent = '';
    const history = this.history;
    const known = typeof history === 'object' && history.points.some((p) => p.occupied !== null);
    this.status.textContent = history === 'loading' ? s.loading : history === 'failed' ? s.failed : known ? '' : s.noData;
    this.chartBox.hidden = !known;
    if (typeof history !== 'object') return;
    this.renderFigures(history.points, history.range);
    if (!known) return;
    const lot = this.session.lots.get(history.lotId);
    this.chartBox.setAttribute('aria-label', s.chartLabel(s.period[history.period], lot ? this.session.lotName(lot) : history.lotId));
    for (const [kind, text] of [['mean', s.legendMean], ['range', s.legendRange], ['capacity', s.legendCapacity]] as const) {
      const item = el('li', `legend-${kind}`);
      const swatch = el('span', `swatch swatch-${kind}`);
      swatch.setAttribute('aria-hidden', 'true');
      item.append(swatch, el('span', undefined, text));
      this.legend.append(item);
    }
    this.chart = this.draw(history.points, history.range, history.period);
  }

  private draw(points: HistoryPoint[], range: Range, period: Period): uPlot {
    const zone = this.zone;
    const { s } = this;
    const half = PERIODS[period].stepMs / 2;
    const x = points.map((p) => (Date.parse(p.at) + half) / 1000);
    const capacity = Math.max(1, ...points.map((p) => p.capacity ?? 0), this.session.lots.get(this.lotId ?? '')?.capacity ?? 0);
    const label = (v: number) => {
      const w = wallParts(v, zone);
      return period === 'day' ? hhmm(v, zone) : period === 'week' ? s.dayLabel(w.month, w.day, w.weekday) : s.dateLabel(w.month, w.day);
    };
    const splits = (min: number, max: number) =>
      period === 'day' ? hourTicks(min, max, 3, zone) : dayTicks(min, max, zone, period === 'month');
    const line = { points: { show: false }, spanGaps: false };
    return new uPlot({
      width: this.chartWidth(), height: CHART_HEIGHT,
      legend: { show: false }, cursor: { show: false },
      padding: [12, 16, 0, 0],
      scales: { x: { time: false, range: [range.from / 1000, range.to / 1000] }, y: { range: [0, Math.ceil(capacity * 1.06)] } },
      axes: [timeAxis(splits, label), countAxis()],
      series: [
        {},
        { label: s.legendMean, stroke: COLOURS.history, width: 2, ...line },
        { label: 'max', stroke: 'rgba(0,0,0,0)', width: 0, ...line },
        { label: 'min', stroke: 'rgba(0,0,0,0)', width: 0, ...line },
        { label: s.legendCapacity, stroke: COLOURS.capacity, width: 1.5, dash: [6, 4], ...line },
      ],
      bands: [{ series: [2, 3], fill: COLOURS.range }],
    }, [x, points.map((p) => p.occupied), points.map((p) => p.occupiedMax), points.map((p) => p.occupiedMin), points.map((p) => p.capacity)] as uPlot.AlignedData, this.chartBox);
  }

  private renderFigures(points: HistoryPoint[], range: Range): void {
    const { s } = this;
    const figures = periodFigures(points, range.from, range.to, now());
    const peak = figures.peak;
    const when = peak && (() => {
      const w = wallParts(peak.at / 1000, this.zone);
      return s.when(w.month, w.day, w.weekday, hhmm(peak.at / 1000, this.zone));
    })();
    const rows: [string, string, string][] = [
      ['mean', s.meanOccupancy, figures.meanPct === null ? s.none : s.percent(figures.meanPct)],
      ['peak', s.peak, peak ? s.peakValue(Math.round(peak.occupied), peak.capacity, when!) : s.none],
      ['full', s.hoursFull, s.hoursValue(figures.fullHours)],
      ['live', s.liveShare, figures.livePct === null ? s.none : s.percent(figures.livePct)],
    ];
    for (const [key, term, value] of rows) {
      const dd = el('dd', undefined, value);
      dd.dataset.figure = key;
      this.figures.append(el('dt', undefined, term), dd);
    }
    this.note.textContent = s.figuresNote(s.steps[PERIODS[this.period].step]);
  }

  private renderHeat(): void {
    const { s } = this;
    const points = this.heatPoints;
    const status = byId('heat-status');
    status.textContent = points === 'loading' ? s.loading : points === 'failed' ? s.failed : '';
    this.heat.hidden = typeof points !== 'object';
    if (typeof points === 'object') renderHeatMap(this.heat, weekHourHeat(points, this.zone), s, this.zone);
  }

  private renderAccuracy(): void {
    const { s } = this;
    const rows = this.accuracyRows;
    if (rows === 'loading' || rows === 'failed') {
      this.accuracy.replaceChildren(el('p', 'hint', rows === 'loading' ? s.loading : s.failed));
      return;
    }
    if (rows.length === 0) {
      this.accuracy.replaceChildren(el('p', 'hint accuracy-none', s.accuracyNone));
      return;
    }
    const table = el('table', 'accuracy-table');
    const head = el('tr');
    for (const text of [s.accuracyHead.horizon, s.accuracyHead.mae, s.accuracyHead.coverage, s.accuracyHead.n]) {
      const th = el('th', undefined, text);
      th.scope = 'col';
      head.append(th);
    }
    const body = el('tbody');
    for (const row of rows) {
      const tr = el('tr');
      tr.dataset.horizon = row.horizon;
      const th = el('th', undefined, s.horizon(row.horizon));
      th.scope = 'row';
      tr.append(th, el('td', 'mae', row.maePct.toFixed(1)), el('td', 'coverage', s.percent(Math.round(row.coverage * 100))), el('td', 'n', String(row.n)));
      body.append(tr);
    }
    const thead = el('thead');
    thead.append(head);
    table.append(thead, body);
    this.accuracy.replaceChildren(table, el('p', 'hint', s.accuracyNote));
  }
}

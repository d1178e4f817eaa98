// The drivers' map's strings for history and forecasts — the popup's chart
// and the "arrive in" choice — in Chinese and English (beside i18n.ts, which
// holds the rest). A forecast is always said as one ("≈", "expected"), never
// like a live count. Pure (no DOM), so the unit tests run it in Node.
import type { Lang } from './i18n.ts';

/** Why a forecast has no number: the code before the colon of the API's `reason`, and the page's own two. */
export type ForecastReason = 'too_little_history' | 'no_recent_data' | 'no_capacity' | 'not_ready' | 'pending' | 'failed' | 'other';

export interface ChartStrings {
  outlookTitle: string;
  legendToday: string;
  legendForecast: string;
  /** "usual for a Wednesday": the mean of the last four of this weekday (Monday 0 … Sunday 6). */
  legendUsual: (weekday: number) => string;
  legendNow: (time: string) => string;
  legendArrival: (time: string) => string;
  loading: string;
  failed: string;
  noHistory: string;
  noForecast: (reason: string) => string;
  /** The chart in words (its text alternative). */
  summaryTitle: (capacity: number) => string;
  /** Today so far: where it was lowest. */
  summaryToday: (free: number, time: string) => string;
  summaryForecast: (free: number, time: string) => string;
  summaryUsual: (weekday: number, free: number, time: string) => string;
  reason: Record<ForecastReason, string>;
  arriveLabel: string;
  arriveNow: string;
  arriveIn: (minutes: number) => string;
  arriveAt: string;
  arriveAtLabel: string;
  banner: (time: string) => string;
  backToLive: string;
  /** A lot's forecast for the arrival, as its marker is named and its list entry says. */
  forecastFree: (free: number, low: number | null, high: number | null, time: string) => string;
  forecastNone: (reason: string, time: string) => string;
  closedAt: (time: string) => string;
  clusterForecast: (lots: number, free: number | null, time: string) => string;
  /** The map legend's sample of a forecast marker, and what it means. */
  legendSample: string;
  legendMeaning: string;
  /** The popup's line for the arrival. */
  popupForecast: (free: number, low: number | null, high: number | null, time: string) => string;
}

const range = (low: number | null, high: number | null, sep: string) =>
  low === null || high === null ? '' : `${Math.round(low)}${sep}${Math.round(high)}`;

const zhWeekdays = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const enWeekdays = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const zh: ChartStrings = {
  outlookTitle: '今日空位',
  legendToday: '今天',
  legendForecast: '预测（80% 区间）',
  legendUsual: (weekday) => `平常的${zhWeekdays[weekday]}`,
  legendNow: (time) => `现在 ${time}`,
  legendArrival: (time) => `到达 ${time}`,
  loading: '正在加载图表……',
  failed: '图表加载失败，请稍后再试。',
  noHistory: '这个停车场还没有历史数据。',
  noForecast: (reason) => `今天暂无预测：${reason}`,
  summaryTitle: (capacity) => `今日空位图表（共 ${capacity} 个车位）。`,
  summaryToday: (free, time) => `今天到现在 ${time} 前后空位最少，约 ${free} 个。`,
  summaryForecast: (free, time) => `预测 ${time} 前后空位最少，约 ${free} 个。`,
  summaryUsual: (weekday, free, time) => `平常的${zhWeekdays[weekday]} ${time} 前后空位最少，约 ${free} 个。`,
  reason: {
    too_little_history: '历史数据不足',
    no_recent_data: '暂无最新数据',
    no_capacity: '没有车位',
    not_ready: '正在生成预测',
    pending: '正在加载预测',
    failed: '暂时无法获取预测',
    other: '暂无预测',
  },
  arriveLabel: '到达时间',
  arriveNow: '现在',
  arriveIn: (minutes) => `${minutes} 分钟后`,
  arriveAt: '指定时间',
  arriveAtLabel: '指定到达时间',
  banner: (time) => `≈ 预计 ${time} 的空位：这是预测，不是实时数据。`,
  backToLive: '回到实时',
  forecastFree: (free, low, high, time) => `预计 ${time} 约 ${free} 个空位${range(low, high, '–') ? `（${range(low, high, '–')}）` : ''}`,
  forecastNone: (reason, time) => `${time} 暂无预测：${reason}`,
  closedAt: (time) => `${time} 未开放`,
  clusterForecast: (lots, free, time) => (free === null ? `${lots} 个停车场，${time} 暂无预测` : `${lots} 个停车场，预计 ${time} 共约 ${free} 个空位`),
  legendSample: '≈38',
  legendMeaning: '预测的空位（选了到达时间；不是实时数据）',
  popupForecast: (free, low, high, time) => `≈ 预计 ${time} 约 ${free} 个空位${range(low, high, '–') ? `（可能 ${range(low, high, '–')} 个）` : ''}`,
};

const en: ChartStrings = {
  outlookTitle: 'Free spaces today',
  legendToday: 'Today',
  legendForecast: 'Forecast (80 % range)',
  legendUsual: (weekday) => `Usual ${enWeekdays[weekday]}`,
  legendNow: (time) => `Now ${time}`,
  legendArrival: (time) => `Arrival ${time}`,
  loading: 'Loading the chart…',
  failed: 'The chart could not be loaded; try again shortly.',
  noHistory: 'No history for this car park yet.',
  noForecast: (reason) => `No forecast for today: ${reason}`,
  summaryTitle: (capacity) => `Chart of free spaces today, of ${capacity}.`,
  summaryToday: (free, time) => `So far today: fewest around ${time}, about ${free} free.`,
  summaryForecast: (free, time) => `Forecast: fewest around ${time}, about ${free} free.`,
  summaryUsual: (weekday, free, time) => `On a usual ${enWeekdays[weekday]}: fewest around ${time}, about ${free} free.`,
  reason: {
    too_little_history: 'not enough history yet',
    no_recent_data: 'no recent data',
    no_capacity: 'no spaces',
    not_ready: 'the forecast is being made',
    pending: 'loading the forecast',
    failed: 'forecasts are unavailable just now',
    other: 'no forecast',
  },
  arriveLabel: 'Arriving',
  arriveNow: 'Now',
  arriveIn: (minutes) => `In ${minutes} min`,
  arriveAt: 'At',
  arriveAtLabel: 'Arrival time',
  banner: (time) => `≈ Expected free spaces at ${time}: forecasts, not live counts.`,
  backToLive: 'Back to live',
  forecastFree: (free, low, high, time) => `≈${free} free expected at ${time}${range(low, high, '–') ? ` (${range(low, high, '–')})` : ''}`,
  forecastNone: (reason, time) => `no forecast for ${time}: ${reason}`,
  closedAt: (time) => `not open at ${time}`,
  clusterForecast: (lots, free, time) => (free === null ? `${lots} car parks, no forecast for ${time}` : `${lots} car parks, about ${free} free spaces expected at ${time}`),
  legendSample: '≈38',
  legendMeaning: 'free spaces forecast for your arrival (not live)',
  popupForecast: (free, low, high, time) => `≈${free} free expected at ${time}${range(low, high, '–') ? ` (likely ${range(low, high, '–')})` : ''}`,
};

const strings: Record<Lang, ChartStrings> = { zh, en };

export function chartStrings(lang: Lang): ChartStrings {
  return strings[lang];
}

/** The reason's code ("too_little_history: 2.0 days …" → too_little_history). */
export function reasonCode(reason: string | undefined): ForecastReason {
  const code = (reason ?? '').split(':')[0]!.trim();
  return code in zh.reason ? (code as ForecastReason) : 'other';
}

/** A forecast's missing number in the reader's words. */
export function reasonText(reason: string | undefined, lang: Lang): string {
  return strings[lang].reason[reasonCode(reason)];
}

// The operator page's strings for a lot's occupancy (stats-view.ts), in
// Chinese and English. Pure (no DOM), so the unit tests run it in Node.
import type { Period } from '../charts/series.ts';
import type { Lang } from '../i18n.ts';

export interface StatsStrings {
  open: string;
  title: (name: string) => string;
  periodsLabel: string;
  period: Record<Period, string>;
  loading: string;
  failed: string;
  noData: string;
  chartLabel: (period: string, name: string) => string;
  legendMean: string;
  legendRange: string;
  legendCapacity: string;
  figuresTitle: string;
  meanOccupancy: string;
  peak: string;
  peakValue: (occupied: number, capacity: number | null, when: string) => string;
  hoursFull: string;
  hoursValue: (hours: number) => string;
  liveShare: string;
  percent: (value: number) => string;
  none: string;
  figuresNote: (step: string) => string;
  csv: string;
  heatTitle: string;
  heatCaption: (timeZone: string) => string;
  weekdays: readonly string[];
  heatCell: (weekday: string, hour: number, value: string) => string;
  accuracyTitle: string;
  accuracyHead: { horizon: string; mae: string; coverage: string; n: string };
  horizon: (horizon: string) => string;
  accuracyNone: string;
  accuracyNote: string;
  /** A day and time in the lots' clock: "11月25日 周三 09:00" / "Wed 25 Nov 09:00". */
  when: (month: number, day: number, weekday: number, time: string) => string;
  /** An axis label: "周三 25日" / "Wed 25", "11/25" / "25 Nov". */
  dayLabel: (month: number, day: number, weekday: number) => string;
  dateLabel: (month: number, day: number) => string;
  steps: Record<'15m' | '1h', string>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const zhWeekdays = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const enWeekdays = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const fixed = (v: number) => (Number.isInteger(Math.round(v * 10) / 10) ? String(Math.round(v)) : v.toFixed(1));

const zh: StatsStrings = {
  open: '占用统计',
  title: (name) => `占用统计：${name}`,
  periodsLabel: '时段',
  period: { day: '最近一天', week: '最近一周', month: '最近 30 天' },
  loading: '正在加载……',
  failed: '数据加载失败，请稍后再试。',
  noData: '这个时段没有数据。',
  chartLabel: (period, name) => `${name}${period}的占用（车辆数）图表；具体数字见下方统计。`,
  legendMean: '平均占用',
  legendRange: '最少–最多',
  legendCapacity: '总车位',
  figuresTitle: '统计',
  meanOccupancy: '平均占用率',
  peak: '峰值',
  peakValue: (occupied, capacity, when) => `${occupied}${capacity === null ? '' : ` / ${capacity}`}（首次：${when}）`,
  hoursFull: '满位时长',
  hoursValue: (hours) => `${fixed(hours)} 小时`,
  liveShare: '有实时数据的时间',
  percent: (value) => `${fixed(value)}%`,
  none: '—',
  figuresNote: (step) => `平均占用率只计有实时数据的时间；满位时长计的是平均空位不到 1 个的${step}。`,
  csv: '下载本时段数据（CSV）',
  heatTitle: '每周各时段的占用率',
  heatCaption: (timeZone) => `最近 4 周按星期和小时的平均占用率（%，${timeZone} 时间）；“–”表示没有数据。`,
  weekdays: zhWeekdays,
  heatCell: (weekday, hour, value) => `${weekday} ${String(hour).padStart(2, '0')}:00：${value}`,
  accuracyTitle: '预测准确度',
  accuracyHead: { horizon: '提前', mae: '平均误差（占总车位的百分点）', coverage: '落在 80% 区间内', n: '检验次数' },
  horizon: (horizon) => ({ '30m': '30 分钟', '2h': '2 小时', '1d': '1 天', '7d': '7 天' })[horizon] ?? horizon,
  accuracyNone: '还没有可检验的预测：服务会保存自己的预测，到时间后与实际情况比较。',
  accuracyNote: '最近 4 周里，服务对这个停车场所作预测与实际情况的比较。',
  when: (month, day, weekday, time) => `${month}月${day}日 ${zhWeekdays[weekday]} ${time}`,
  dayLabel: (_month, day, weekday) => `${zhWeekdays[weekday]} ${day}日`,
  dateLabel: (month, day) => `${month}/${day}`,
  steps: { '15m': '15 分钟时段', '1h': '小时' },
};

const en: StatsStrings = {
  open: 'Occupancy',
  title: (name) => `Occupancy: ${name}`,
  periodsLabel: 'Period',
  period: { day: 'Last day', week: 'Last week', month: 'Last 30 days' },
  loading: 'Loading…',
  failed: 'The data could not be loaded; try again shortly.',
  noData: 'No data for this period.',
  chartLabel: (period, name) => `Chart of ${name}'s occupancy (vehicles), ${period.toLowerCase()}; the figures below give it in numbers.`,
  legendMean: 'Mean occupied',
  legendRange: 'Fewest–most',
  legendCapacity: 'Capacity',
  figuresTitle: 'Figures',
  meanOccupancy: 'Mean occupancy',
  peak: 'Peak',
  peakValue: (occupied, capacity, when) => `${occupied}${capacity === null ? '' : ` of ${capacity}`} (first ${when})`,
  hoursFull: 'Hours full',
  hoursValue: (hours) => `${fixed(hours)} h`,
  liveShare: 'Time with live data',
  percent: (value) => `${fixed(value)} %`,
  none: '—',
  figuresNote: (step) => `Mean occupancy counts the time with live data only; hours full counts the ${step} whose mean left less than one space free.`,
  csv: 'Download this period as CSV',
  heatTitle: 'Occupancy by weekday and hour',
  heatCaption: (timeZone) => `Mean occupancy by weekday and hour over the last 4 weeks (%, ${timeZone} time); “–”: no data.`,
  weekdays: enWeekdays,
  heatCell: (weekday, hour, value) => `${weekday} ${String(hour).padStart(2, '0')}:00: ${value}`,
  accuracyTitle: 'Forecast accuracy',
  accuracyHead: { horizon: 'Ahead', mae: 'Mean error (percentage points of capacity)', coverage: 'Inside the 80 % range', n: 'Forecasts checked' },
  horizon: (horizon) => ({ '30m': '30 min', '2h': '2 h', '1d': '1 day', '7d': '7 days' })[horizon] ?? horizon,
  accuracyNone: 'No forecast to check yet: the service keeps its forecasts and scores them once their time has come.',
  accuracyNote: 'How far the service’s own forecasts for this lot were from what happened, over the last 4 weeks.',
  when: (month, day, weekday, time) => `${enWeekdays[weekday]} ${day} ${MONTHS[month - 1]} ${time}`,
  dayLabel: (_month, day, weekday) => `${enWeekdays[weekday]} ${day}`,
  dateLabel: (month, day) => `${day} ${MONTHS[month - 1]}`,
  steps: { '15m': '15-minute steps', '1h': 'hours' },
};

const strings: Record<Lang, StatsStrings> = { zh, en };

export function statsStrings(lang: Lang): StatsStrings {
  return strings[lang];
}

// The forecast API's parameters (DESIGN.md §4). Pure.
import { z } from 'zod';
import { say } from '../messages.ts';
import { MINUTE_MS } from '../zone.ts';

export const forecastSteps = ['5m', '15m', '30m', '1h'] as const;
export type ForecastStep = (typeof forecastSteps)[number];
export const FORECAST_STEP_MS: Record<ForecastStep, number> = { '5m': 5 * MINUTE_MS, '15m': 15 * MINUTE_MS, '30m': 30 * MINUTE_MS, '1h': 60 * MINUTE_MS };
/** How far ahead of asOf a forecast may reach. */
export const FORECAST_MAX_AHEAD_MS = 7 * 24 * 60 * MINUTE_MS;

const instant = z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso));

export const forecastQuerySchema = z
  .object({
    from: instant.optional().describe('first time forecast, ISO 8601 (default: asOf)'),
    to: instant.optional().describe('end of the range, exclusive (default: from + 24 h; at most asOf + 7 days)'),
    step: z.enum(forecastSteps).default('30m').describe('5m, 15m, 30m or 1h between the times forecast'),
    asOf: instant.optional().describe('forecast as it would have been made then, from only the data observed before it (default: now)'),
  });
export type ForecastQuery = z.infer<typeof forecastQuerySchema>;

/** The range a query asks for, with its defaults, or what is wrong with it (field → message). */
export function forecastRange(q: ForecastQuery, now: number): { asOf: number; from: number; to: number } | Record<string, string> {
  const asOf = q.asOf ?? now;
  const from = q.from ?? asOf;
  const to = q.to ?? from + 24 * 60 * MINUTE_MS;
  if (q.asOf !== undefined && q.asOf > now) return { asOf: say('must not be in the future (a forecast is made from what was observed before asOf)', '不得晚于现在（预测只用 asOf 之前观测到的数据）') };
  if (from < asOf) return { from: say('must be at or after asOf: the past is history (GET /api/lots/{id}/history), not a forecast', '不得早于 asOf：过去的数据请查历史（GET /api/lots/{id}/history），不是预测') };
  if (to <= from) return { to: say('must be after from', '应晚于 from') };
  if (to > asOf + FORECAST_MAX_AHEAD_MS) return { to: say('a forecast reaches at most 7 days after asOf', '预测最多到 asOf 之后 7 天') };
  return { asOf, from, to };
}

/** The horizons the service keeps its forecasts at, to measure its accuracy (minutes ahead). */
export const FORECAST_HORIZONS_MIN = [30, 120, 1440, 10080] as const;

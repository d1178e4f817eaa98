// The history API's parameters (DESIGN.md §4): a range and a step, checked
// once, with the limits said in the error. Pure.
import { z } from 'zod';
import { say } from '../messages.ts';
import { lotFilterShape } from '../search.ts';
import { DAY_MS } from '../zone.ts';
import { historySteps, type HistoryStep } from './buckets.ts';

/** The longest range each step may ask for (about 2,000 to 9,000 points). */
export const HISTORY_MAX_RANGE_DAYS: Record<HistoryStep, number> = { '5m': 7, '15m': 31, '30m': 62, '1h': 366, '1d': 3660 };

const instant = z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso));

const rangeShape = {
  from: instant.describe('start of the range, ISO 8601 with an offset (inclusive)'),
  to: instant.describe('end of the range, ISO 8601 with an offset (exclusive)'),
  step: z.enum(historySteps).default('1h').describe('5m, 15m, 30m, 1h or 1d (steps of 1h and longer start on the local clock of TIME_ZONE)'),
  format: z.enum(['json', 'csv']).optional().describe('csv: the same as Accept: text/csv'),
};

function checkRange(q: { from: number; to: number; step: HistoryStep }, ctx: z.RefinementCtx): void {
  if (q.to <= q.from) ctx.addIssue({ code: 'custom', path: ['to'], message: say('must be after from', '应晚于 from') });
  const maxDays = HISTORY_MAX_RANGE_DAYS[q.step];
  if (q.to - q.from > maxDays * DAY_MS) {
    ctx.addIssue({
      code: 'custom', path: ['to'],
      message: say(`the range is longer than step=${q.step} allows: at most ${maxDays} days (use a longer step)`, `时间范围超过 step=${q.step} 的上限：最多 ${maxDays} 天（请用更长的 step）`),
    });
  }
}

export const historyQuerySchema = z.object(rangeShape).superRefine(checkRange);
export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** GET /api/history: the range, and the search's filters on place and metadata. */
export const historyDumpQuerySchema = z.object({ ...rangeShape, ...lotFilterShape }).superRefine(checkRange);

/** The CSV columns of a history answer, in order. */
export const HISTORY_CSV_COLUMNS = ['lot', 'at', 'occupied', 'occupiedMin', 'occupiedMax', 'free', 'capacity', 'knownS'] as const;

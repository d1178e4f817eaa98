// The NGSI-LD temporal view (ETSI GS CIM 009 §6.18) of an OffStreetParking
// entity, from the lot's history (DESIGN.md §7): one instance per step of
// the history, its mean over the known time, observedAt the step's start;
// a step with nothing known has no instance (unknown is not 0). Pure.
import { z } from 'zod';
import type { HistoryPoint, HistoryStep } from '../history.ts';
import { HISTORY_MAX_RANGE_DAYS } from '../history.ts';
import { DAY_MS } from '../zone.ts';
import { offStreetParkingId } from './ngsi-ld.ts';

/** NGSI-LD's aggregation periods (ISO 8601 durations) that a history step answers. */
const PERIODS: Record<string, HistoryStep> = { PT5M: '5m', PT15M: '15m', PT30M: '30m', PT1H: '1h', P1D: '1d' };
export const TEMPORAL_ATTRIBUTES = ['availableSpotNumber', 'occupiedSpotNumber'] as const;
type TemporalAttribute = (typeof TEMPORAL_ATTRIBUTES)[number];

export const ngsiTemporalQuerySchema = z.object({
  timerel: z.enum(['between', 'before', 'after']).describe('between: timeAt ≤ t < endTimeAt; before/after: the 7 days before or after timeAt'),
  timeAt: z.iso.datetime({ offset: true }),
  endTimeAt: z.iso.datetime({ offset: true }).optional().describe('with timerel=between'),
  attrs: z.string().optional().describe('availableSpotNumber,occupiedSpotNumber (default: both)'),
  aggrPeriodDuration: z.enum(Object.keys(PERIODS) as [string, ...string[]]).default('PT1H').describe('the instances\' period: PT5M, PT15M, PT30M, PT1H (default) or P1D; each instance is the mean over the time known'),
  options: z.string().optional().describe('temporalValues: each attribute as {"values":[[value, observedAt]…]}'),
});
export type NgsiTemporalQuery = z.infer<typeof ngsiTemporalQuerySchema>;

/** The history range and step a temporal query asks for, or what is wrong with it. */
export function temporalRange(q: NgsiTemporalQuery): { from: number; to: number; step: HistoryStep; attrs: TemporalAttribute[] } | string {
  const at = Date.parse(q.timeAt);
  const step = PERIODS[q.aggrPeriodDuration]!;
  let from: number;
  let to: number;
  if (q.timerel === 'between') {
    if (q.endTimeAt === undefined) return 'timerel=between needs endTimeAt';
    [from, to] = [at, Date.parse(q.endTimeAt)];
    if (to <= from) return 'endTimeAt must be after timeAt';
  } else [from, to] = q.timerel === 'before' ? [at - 7 * DAY_MS, at] : [at, at + 7 * DAY_MS];
  if (to - from > HISTORY_MAX_RANGE_DAYS[step] * DAY_MS) return `the range is longer than aggrPeriodDuration=${q.aggrPeriodDuration} allows: at most ${HISTORY_MAX_RANGE_DAYS[step]} days`;
  const attrs = q.attrs === undefined ? [...TEMPORAL_ATTRIBUTES] : q.attrs.split(',').map((a) => a.trim());
  const unknown = attrs.find((a) => !(TEMPORAL_ATTRIBUTES as readonly string[]).includes(a));
  if (unknown !== undefined) return `attrs: "${unknown.slice(0, 60)}" has no history here (${TEMPORAL_ATTRIBUTES.join(', ')})`;
  return { from, to, step, attrs: attrs as TemporalAttribute[] };
}

/** The temporal representation of a lot's history points (normalized, or temporalValues). */
export function toTemporalOffStreetParking(lotId: string, points: readonly HistoryPoint[], attrs: readonly TemporalAttribute[], temporalValues: boolean): Record<string, unknown> {
  const entity: Record<string, unknown> = { id: offStreetParkingId(lotId), type: 'OffStreetParking' };
  const known = points.filter((p) => p.occupied !== null && p.free !== null);
  const valueOf = (p: HistoryPoint, attr: TemporalAttribute) => Math.round(attr === 'occupiedSpotNumber' ? p.occupied! : p.free!);
  for (const attr of attrs) {
    entity[attr] = temporalValues
      ? { type: 'Property', values: known.map((p) => [valueOf(p, attr), p.at]) }
      : known.map((p) => ({ type: 'Property', value: valueOf(p, attr), observedAt: p.at }));
  }
  return entity;
}

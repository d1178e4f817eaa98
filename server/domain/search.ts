// The search parameters of GET /api/lots (DESIGN.md §4), parsed from a query
// string. A bad parameter is named in the error.
import { z } from 'zod';
import { declaredCounts, kindCapacity } from './bay-kinds.ts';
import { hasFeature, lotFeatures, type LotFeature } from './features.ts';
import { isValidBBox, type BBox, type Point } from './geo.ts';
import { lotTypes, type LotMeta, type LotType } from './lot.ts';
import { parseQuery, type LotQuery } from './lot-match.ts';
import { say } from './messages.ts';

export const MAX_SEARCH_LIMIT = 10_000;
export const DEFAULT_SEARCH_LIMIT = 1_000;
export const MAX_RADIUS_M = 100_000;
export const MAX_QUERY_LENGTH = 100;

export interface LotSearch {
  near?: Point;
  /** Only with near; without it every lot qualifies, sorted by distance. */
  radiusM?: number;
  bbox?: BBox;
  minFree?: number;
  /** A forecast for this arrival time (epoch ms) with each lot; with minFree, the forecast's free spaces must reach it. */
  arriveAt?: number;
  /** Any of these types. */
  types?: LotType[];
  /** Every one of these features. */
  features?: LotFeature[];
  /** Lots whose names or address match what was typed (domain/lot-match.ts), best match first. */
  match?: LotQuery;
  limit: number;
}

const numberList = (count: number, what: string, whatZh: string) =>
  z
    .string()
    .transform((v) => v.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part))))
    .refine((list) => list.length === count && list.every(Number.isFinite), { message: say(`must be ${what}`, `应为${whatZh}`), abort: true });

/** A comma-separated list of names from `names`, e.g. `type=surface,underground`. */
const nameList = <T extends string>(names: readonly T[]) =>
  z
    .string()
    .transform((v) => [...new Set(v.split(',').map((part) => part.trim()))])
    .refine((list) => list.every((name) => (names as readonly string[]).includes(name)), {
      message: say(`must be one or more of ${names.join(', ')}, separated by commas`, `应为 ${names.join('、')} 中的一个或多个，以英文逗号分隔`),
    });

/** The filters on a lot's place and metadata, shared by the search and the history dumps. */
export const lotFilterShape = {
    bbox: numberList(4, 'four numbers: minLon,minLat,maxLon,maxLat', '四个数字：最小经度,最小纬度,最大经度,最大纬度')
      .refine(isValidBBox, say('must be minLon,minLat,maxLon,maxLat in degrees, with minLat <= maxLat', '应为以度表示的 最小经度,最小纬度,最大经度,最大纬度，且最小纬度不大于最大纬度'))
      .optional(),
    type: nameList(lotTypes).optional(),
    features: nameList(lotFeatures).optional(),
};

export const lotSearchQuerySchema = z
  .object({
    near: numberList(2, 'two numbers: lat,lon', '两个数字：纬度,经度')
      .refine(([lat, lon]) => Math.abs(lat!) <= 90 && Math.abs(lon!) <= 180, say('lat must be within ±90 and lon within ±180', '纬度应在 ±90 之内，经度应在 ±180 之内'))
      .optional(),
    radius: z.coerce.number().positive().max(MAX_RADIUS_M).optional(),
    bbox: lotFilterShape.bbox,
    minFree: z.coerce.number().int().min(0).optional(),
    arriveAt: z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso)).optional(),
    type: lotFilterShape.type,
    features: lotFilterShape.features,
    q: z
      .string()
      .max(MAX_QUERY_LENGTH)
      .transform((v, ctx) => {
        const query = parseQuery(v);
        if (!query) ctx.addIssue({ code: 'custom', message: say('must contain a letter or digit', '应含有文字、字母或数字') });
        return query ?? z.NEVER;
      })
      .optional(),
    limit: z.coerce.number().int().min(1).max(MAX_SEARCH_LIMIT).default(DEFAULT_SEARCH_LIMIT),
  })
  .refine((q) => q.radius === undefined || q.near !== undefined, {
    message: say('radius needs near=lat,lon', 'radius 需要同时给出 near=纬度,经度'),
    path: ['radius'],
  })
  .transform((q): LotSearch => {
    const search: LotSearch = { limit: q.limit };
    if (q.near) search.near = { lat: q.near[0]!, lon: q.near[1]! };
    if (q.radius !== undefined) search.radiusM = q.radius;
    if (q.bbox) search.bbox = q.bbox as unknown as BBox;
    if (q.minFree !== undefined) search.minFree = q.minFree;
    if (q.arriveAt !== undefined) search.arriveAt = q.arriveAt;
    if (q.type) search.types = q.type as LotType[];
    if (q.features) search.features = q.features as LotFeature[];
    if (q.q) search.match = q.q;
    return search;
  });

/**
 * Whether a lot's metadata passes the search's type and feature filters. A
 * kind's declared bays count as its spaces when its capacity is not given (as the lot view shows it).
 */
export function matchesMeta(lot: LotMeta, search: Pick<LotSearch, 'types' | 'features'>): boolean {
  if (search.types && !search.types.includes(lot.type)) return false;
  if (!search.features?.length) return true;
  const declared = declaredCounts(lot);
  const capacities = {
    capacityCharging: kindCapacity(lot.capacityCharging, declared.charging),
    capacityDisabled: kindCapacity(lot.capacityDisabled, declared.disabled),
    capacityFamily: kindCapacity(lot.capacityFamily, declared.family),
    capacityWomen: kindCapacity(lot.capacityWomen, declared.women),
  };
  return search.features.every((feature) => hasFeature(capacities, feature));
}

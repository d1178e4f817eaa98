// The HTTP API's answers as zod schemas (DESIGN.md §4), for the OpenAPI
// document (server/http/openapi/) and the tests that check real answers
// against it. Each schema is held to the TypeScript type the server builds
// its answer with (the `Same<…>` checks below): a field added to one and not
// the other fails to compile. Pure.
import { z } from 'zod';
import { forecastMethodNames, forecastSteps, type ForecastMethodName } from './forecast.ts';
import { historySteps, type HistoryPoint } from './history.ts';
import { lotCreateSchema } from './lot-input.ts';
import { availabilities, lotStatuses, lotTypes, type LotView } from './lot.ts';
import type { AssignedGatewayAnswer, AuditEntry, ErrorAnswer, GatewayView, MeAnswer, MyLotsAnswer, NewGatewayAnswer } from './operator-api.ts';
import { roles, type OperatorRecord } from './principal.ts';

const isoTime = z.iso.datetime({ offset: true });
const count = z.number().int().min(0);

export const lotViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  nameEn: z.string().nullable(),
  address: z.string().nullable(),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  type: z.enum(lotTypes),
  status: z.enum(lotStatuses),
  openingHours: z.string().nullable(),
  capacityDisabled: count.nullable(),
  capacityCharging: count.nullable(),
  capacityFamily: count.nullable(),
  capacityWomen: count.nullable(),
  baysCharging: z.string().nullable().describe('the EV charging bays, by the ids their sensors publish under: ids and ranges, "c001..c040, c101"'),
  baysDisabled: z.string().nullable(),
  baysFamily: z.string().nullable(),
  baysWomen: z.string().nullable(),
  freeCharging: count.nullable().describe('live free EV charging bays, from the declared bays\' sensors; null when not known live'),
  freeDisabled: count.nullable(),
  freeFamily: count.nullable(),
  freeWomen: count.nullable(),
  fee: z.boolean().nullable(),
  priceInfo: z.string().nullable(),
  priceInfoEn: z.string().nullable(),
  maxHeightCm: count.nullable(),
  staleAfterS: z.number().int().positive().nullable(),
  capacity: count,
  free: count.nullable().describe('free spaces; null before any data'),
  occupied: count.nullable(),
  availability: z.enum(availabilities),
  stale: z.boolean(),
  updatedAt: isoTime.nullable().describe('the sensor time of the newest applied event'),
  heardAt: isoTime.nullable().describe('the last sign of life from the lot (event or heartbeat); staleness runs from here'),
  clamped: z.boolean(),
  distanceM: count.optional().describe('only in answers to near= searches'),
  forecast: z.object({
    at: isoTime,
    free: z.number().min(0).nullable(),
    low: z.number().min(0).nullable(),
    high: z.number().min(0).nullable(),
    reason: z.string().optional(),
  }).optional().describe('only in answers to arriveAt= searches: the forecast for the arrival (expected free spaces and the 80 % interval) — not a live count'),
  openNow: z.boolean().nullable().describe('whether the opening hours say the lot is open now; null: no hours, or the lot is not open'),
  opensAt: isoTime.nullable().describe('when openNow is false: the next opening by the hours; null when none within a year'),
  closesAt: isoTime.nullable().describe('when openNow is true: the next closing by the hours; null when none within a year'),
});

export const lotsAnswerSchema = z.object({ lots: z.array(lotViewSchema) });

const { lat: _lat, lon: _lon, ...lotProperties } = lotViewSchema.shape;
export const lotFeatureSchema = z.object({
  type: z.literal('Feature'),
  id: z.string(),
  geometry: z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]).describe('[lon, lat]') }),
  properties: z.object(lotProperties),
});
export const lotFeatureCollectionSchema = z.object({ type: z.literal('FeatureCollection'), features: z.array(lotFeatureSchema) });

export const errorAnswerSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    // Open: each error may say more (an import's rows, an ingest batch's limit or what it committed).
    details: z
      .looseObject({
        fields: z.record(z.string(), z.array(z.string())).optional().describe('each bad field with its problems (400 validation_failed)'),
        retryAfterS: z.number().int().positive().optional().describe('seconds to wait (429 rate_limited, 503 unavailable)'),
        rows: z.array(z.unknown()).optional().describe('a refused import: each bad row with its place and fields'),
        maxBatch: z.number().int().optional().describe('413 from HTTP ingest: the most messages a request may hold'),
        count: z.number().int().optional().describe('413 from HTTP ingest: how many this request held'),
        results: z.array(z.unknown()).optional().describe('503 from HTTP ingest: the results of the messages committed before the live store went away'),
        committed: z.number().int().optional().describe('503 from HTTP ingest: how many messages were committed'),
      })
      .optional(),
  }),
});

const principalSchema = z.object({ id: z.string(), name: z.string(), role: z.enum(roles) });
export const operatorRecordSchema = principalSchema.extend({ createdAt: isoTime });
export const newOperatorAnswerSchema = operatorRecordSchema.extend({ token: z.string().describe('shown once, never again') });
export const operatorsAnswerSchema = z.object({ operators: z.array(operatorRecordSchema) });

export const meAnswerSchema = z.object({
  operator: principalSchema,
  mqtt: z.object({ url: z.string(), baseTopic: z.string(), auth: z.boolean() }),
});

export const gatewayViewSchema = z.object({
  id: z.string(),
  name: z.string().nullable(),
  lotIds: z.array(z.string()),
  createdAt: isoTime,
  online: z.boolean().nullable().describe('null when this service cannot know (external broker, or MQTT_AUTH off)'),
});
const gatewayConnectionSchema = z.object({
  url: z.string(),
  clientId: z.string(),
  username: z.string(),
  topics: z.object({ publish: z.array(z.string()), subscribe: z.array(z.string()) }),
});
const httpIngestConnectionSchema = z.object({
  url: z.string().describe('where the ingest paths start: http://host:3000/api/ingest'),
  username: z.string().describe('HTTP Basic: the gateway id'),
  paths: z.array(z.string()).describe('the paths this gateway may post to ({space} stands for a bay id)'),
});
export const newGatewayAnswerSchema = gatewayViewSchema.extend({
  secret: z.string().describe('shown once, never again'),
  mqtt: gatewayConnectionSchema.extend({ password: z.string() }),
  http: httpIngestConnectionSchema.extend({ password: z.string() }),
});
export const assignedGatewayAnswerSchema = gatewayViewSchema.extend({ mqtt: gatewayConnectionSchema, http: httpIngestConnectionSchema });
export const gatewaysAnswerSchema = z.object({ gateways: z.array(gatewayViewSchema) });
export const myLotsAnswerSchema = z.object({ lots: z.array(lotViewSchema), gateways: z.array(gatewayViewSchema) });

export const auditEntrySchema = z.object({
  id: z.number().int(),
  lotId: z.string(),
  action: z.enum(['lot.create', 'lot.update', 'lot.delete', 'gateway.create', 'gateway.assign', 'gateway.delete']),
  at: isoTime,
  actor: z.object({ id: z.string(), name: z.string() }),
  changes: z.record(z.string(), z.object({ from: z.unknown(), to: z.unknown() })),
});
export const auditAnswerSchema = z.object({ entries: z.array(auditEntrySchema) });

export const healthAnswerSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  dependencies: z.record(z.string(), z.object({ ok: z.boolean(), kind: z.string(), detail: z.string().optional() })),
});

/** PATCH /api/lots/{id}: the fields to change (null clears an optional one). */
export const lotPatchBodySchema = lotCreateSchema.partial();

/** One point of a lot's history (DESIGN.md §4). */
export const historyPointSchema = z.object({
  at: isoTime,
  occupied: z.number().min(0).nullable(),
  occupiedMin: count.nullable(),
  occupiedMax: count.nullable(),
  free: z.number().min(0).nullable(),
  capacity: count.nullable(),
  knownS: z.number().min(0),
});

export const historyAnswerSchema = z.object({
  lotId: z.string(),
  from: isoTime,
  to: isoTime,
  step: z.enum(historySteps),
  points: z.array(historyPointSchema),
});

/** One point of a lot's forecast: the expected values and the 80 % interval of free spaces, all within 0…capacity — or all null with a reason. */
export const forecastPointSchema = z.object({
  at: isoTime,
  occupied: z.number().min(0).nullable(),
  free: z.number().min(0).nullable(),
  low: z.number().min(0).nullable(),
  high: z.number().min(0).nullable(),
  reason: z.string().optional().describe('why there is no number: too_little_history, no_recent_data, no_capacity, …'),
});

export const forecastAnswerSchema = z.object({
  lotId: z.string(),
  asOf: isoTime.describe('the forecast as made then, from only the data observed before it'),
  method: z.enum(forecastMethodNames as [ForecastMethodName, ...ForecastMethodName[]]),
  step: z.enum(forecastSteps),
  points: z.array(forecastPointSchema),
  accuracy: z.array(z.object({
    horizon: z.string().describe('30m, 2h, 1d or 7d ahead'),
    maePct: z.number().min(0).describe('mean absolute error, percentage points of capacity'),
    n: z.number().int().min(0).describe('forecasts scored'),
    coverage: z.number().min(0).max(1).describe('share of outcomes inside the 80 % interval'),
  })).describe('this lot’s measured accuracy over the four weeks before asOf: what the service forecast, against what happened').optional(),
});

/** The answers of the history and forecast APIs, as the pages read them (type-only in the browser). */
export type HistoryAnswerBody = z.infer<typeof historyAnswerSchema>;
export type ForecastAnswerBody = z.infer<typeof forecastAnswerSchema>;

/** A path segment naming a lot or a gateway. */
export const idParamsSchema = z.object({ id: z.string().describe('a lot or gateway id: 1-64 of a-z, 0-9 and "-"') });

// The schemas and the types the server answers with must describe the same thing.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const held: [
  Same<z.infer<typeof lotViewSchema>, LotView>,
  Same<z.infer<typeof historyPointSchema>, HistoryPoint>,
  Same<z.infer<typeof errorAnswerSchema>['error']['code'], ErrorAnswer['error']['code']>,
  Same<z.infer<typeof meAnswerSchema>, MeAnswer>,
  Same<z.infer<typeof myLotsAnswerSchema>, MyLotsAnswer>,
  Same<z.infer<typeof gatewayViewSchema>, GatewayView>,
  Same<z.infer<typeof newGatewayAnswerSchema>, NewGatewayAnswer>,
  Same<z.infer<typeof assignedGatewayAnswerSchema>, AssignedGatewayAnswer>,
  Same<z.infer<typeof operatorRecordSchema>, OperatorRecord>,
  Same<z.infer<typeof auditEntrySchema>['action'], AuditEntry['action']>,
] = [true, true, true, true, true, true, true, true, true, true];
void held;

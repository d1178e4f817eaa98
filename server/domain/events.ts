// The MQTT contract (DESIGN.md §3): topics and payloads, parsed and validated.
// Pure: the ingest stage feeds it raw topics and bytes, it answers with a
// typed event or a rejection carrying a reason.
import { z } from 'zod';
import { LOT_ID_PATTERN, type LotView } from './lot.ts';
import type { CountEvent, GateEvent, GatewayStatusEvent, HeartbeatEvent, SpaceEvent } from './live.ts';

/** How far ahead of the service's clock a sensor's ts may be (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** How much of a rejected payload the errors topic and the log repeat. */
export const ERROR_PAYLOAD_EXCERPT = 200;

export const rejectionReasons = [
  'malformed_topic',
  'malformed_payload',
  'invalid_payload',
  'future_timestamp',
  'unknown_lot',
  'reserved_topic',
  /** The live store refused the event (a script error on this input): logged as an error, acknowledged. */
  'store_refused',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

export interface Rejection {
  reason: RejectionReason;
  message: string;
}

/** The kinds of message the service ingests (the `kind` label of its metrics). */
export const messageKinds = ['count', 'gate', 'space', 'heartbeat', 'status'] as const;
export type MessageKind = (typeof messageKinds)[number];

export type ParsedTopic =
  | { kind: 'count' | 'gate' | 'heartbeat'; lotId: string }
  | { kind: 'space'; lotId: string; spaceId: string }
  | { kind: 'status'; gatewayId: string };

/** Lot, space, gate and gateway ids: one pattern for every id in a topic or payload. */
export const ID_PATTERN = LOT_ID_PATTERN;
const ID = ID_PATTERN;

export function isValidId(value: string): boolean {
  return ID.test(value);
}

/**
 * The topic filters the service subscribes to (never a wildcard over its own
 * outputs). Lot messages may be split among instances (each is applied once,
 * in any order); gateway statuses go to every instance, in order.
 */
export interface Subscriptions {
  perLot: string[];
  statuses: string[];
}

export function ingestSubscriptions(baseTopic: string): Subscriptions {
  return {
    perLot: [`${baseTopic}/lots/+/count`, `${baseTopic}/lots/+/gate`, `${baseTopic}/lots/+/spaces/+`, `${baseTopic}/lots/+/heartbeat`],
    statuses: [`${baseTopic}/gateways/+/status`],
  };
}

export function subscriptionTopics(baseTopic: string): string[] {
  const { perLot, statuses } = ingestSubscriptions(baseTopic);
  return [...perLot, ...statuses];
}

/** The service's own outputs: the retained availability of each lot, and the errors topics. */
export const availabilityTopic = (baseTopic: string, lotId: string) => `${baseTopic}/lots/${lotId}/availability`;
export const gatewayStatusTopic = (baseTopic: string, gatewayId: string) => `${baseTopic}/gateways/${gatewayId}/status`;
export function errorsTopic(baseTopic: string, gatewayId: string | undefined): string {
  return gatewayId !== undefined && isValidId(gatewayId) ? `${baseTopic}/gateways/${gatewayId}/errors` : `${baseTopic}/errors`;
}

/** Whether a topic is in the contract's namespace (`{base}/lots/…`, `{base}/gateways/…`, `{base}/errors`). */
export function isContractTopic(baseTopic: string, topic: string): boolean {
  return topic.startsWith(`${baseTopic}/lots/`) || topic.startsWith(`${baseTopic}/gateways/`) || topic === `${baseTopic}/errors`;
}

const describeId = (what: string, id: string) => `${what} "${id.slice(0, 80)}" must match ${ID.source}`;

export function parseTopic(baseTopic: string, topic: string): ParsedTopic | Rejection {
  if (topic === `${baseTopic}/errors`) return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
  const lotsPrefix = `${baseTopic}/lots/`;
  const gatewaysPrefix = `${baseTopic}/gateways/`;
  const expected = `expected ${lotsPrefix}{lot}/count|gate|heartbeat, ${lotsPrefix}{lot}/spaces/{space} or ${gatewaysPrefix}{gateway}/status`;

  if (topic.startsWith(gatewaysPrefix)) {
    const [gatewayId, kind, ...rest] = topic.slice(gatewaysPrefix.length).split('/');
    if (gatewayId === undefined || rest.length > 0 || (kind !== 'status' && kind !== 'errors')) {
      return { reason: 'malformed_topic', message: expected };
    }
    if (kind === 'errors') return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
    if (!ID.test(gatewayId)) return { reason: 'malformed_topic', message: describeId('gateway id', gatewayId) };
    return { kind: 'status', gatewayId };
  }
  if (!topic.startsWith(lotsPrefix)) return { reason: 'malformed_topic', message: expected };

  const [lotId, kind, ...rest] = topic.slice(lotsPrefix.length).split('/');
  if (lotId === undefined || kind === undefined) return { reason: 'malformed_topic', message: expected };
  if (kind === 'availability' && rest.length === 0) {
    return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
  }
  const lotKind = kind === 'count' || kind === 'gate' || kind === 'heartbeat' ? kind : null;
  const isSpace = kind === 'spaces' && rest.length === 1;
  if ((lotKind === null || rest.length > 0) && !isSpace) return { reason: 'malformed_topic', message: expected };
  if (!ID.test(lotId)) return { reason: 'malformed_topic', message: describeId('lot id', lotId) };
  if (isSpace) {
    const spaceId = rest[0]!;
    if (!ID.test(spaceId)) return { reason: 'malformed_topic', message: describeId('space id', spaceId) };
    return { kind: 'space', lotId, spaceId };
  }
  return { kind: lotKind!, lotId };
}

/**
 * The earliest ts accepted: a sensor reporting an older time has no clock
 * set (1970), and every store keeps times as non-negative numbers.
 */
export const MIN_TS = Date.parse('2000-01-01T00:00:00Z');
const NO_CLOCK = `must not be before 2000-01-01 (is the sensor's clock set?)`;

const timestampSchema = z.union([
  z.number().int().min(MIN_TS, NO_CLOCK).max(8.64e15),
  z.iso.datetime({ offset: true }).refine((iso) => Date.parse(iso) >= MIN_TS, NO_CLOCK),
]);

const seqSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const countValue = z.number().int().min(-1_000_000).max(1_000_000);

export const countPayloadSchema = z
  .object({
    occupied: countValue.optional(),
    free: countValue.optional(),
    capacity: z.number().int().min(0).max(100_000).optional(),
    ts: timestampSchema.optional(),
    seq: seqSchema.optional(),
  })
  .refine((p) => (p.occupied === undefined) !== (p.free === undefined), {
    message: 'exactly one of "occupied" and "free" is required',
  });
export type CountPayload = z.infer<typeof countPayloadSchema>;

export const gatePayloadSchema = z.object({
  event: z.enum(['entry', 'exit']),
  /** Vehicles that passed together; 1 when absent. */
  count: z.number().int().min(1).max(1000).optional(),
  gate: z.string().regex(ID, `must match ${ID.source}`),
  ts: timestampSchema.optional(),
  seq: seqSchema.optional(),
});
export type GatePayload = z.infer<typeof gatePayloadSchema>;

export const spacePayloadSchema = z.object({
  occupied: z.boolean(),
  ts: timestampSchema.optional(),
  seq: seqSchema.optional(),
});
export type SpacePayload = z.infer<typeof spacePayloadSchema>;

export const heartbeatPayloadSchema = z.object({ ts: timestampSchema.optional() });
export type HeartbeatPayload = z.infer<typeof heartbeatPayloadSchema>;

export const statusPayloadSchema = z.object({
  state: z.enum(['online', 'offline']),
  ts: timestampSchema.optional(),
});
export type StatusPayload = z.infer<typeof statusPayloadSchema>;

/** The retained `{base}/lots/{lot}/availability` output: the lot's live numbers as §4 shows them. */
export interface AvailabilityPayload {
  id: string;
  status: string;
  capacity: number;
  free: number | null;
  occupied: number | null;
  availability: string;
  stale: boolean;
  updatedAt: string | null;
  clamped: boolean;
}

export function toAvailabilityPayload(view: LotView): AvailabilityPayload {
  const { id, status, capacity, free, occupied, availability, stale, updatedAt, clamped } = view;
  return { id, status, capacity, free, occupied, availability, stale, updatedAt, clamped };
}

/** The errors topic's payload: why a message was rejected. */
export interface ErrorFeedback {
  topic: string;
  reason: RejectionReason;
  error: string;
  /** The start of the rejected payload, as text. */
  payload: string;
}

export function toEpochMs(ts: number | string): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

export function payloadText(payload: Uint8Array | string): string {
  return typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8');
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; rejection: Rejection } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, rejection: { reason: 'malformed_payload', message: 'payload is not valid JSON' } };
  }
}

/** Parses JSON and validates it against a schema; `emptyAs` stands in for an empty payload. */
function parsePayload<S extends z.ZodType>(schema: S, payload: Uint8Array | string, emptyAs?: unknown): z.infer<S> | Rejection {
  const text = payloadText(payload);
  let value: unknown = emptyAs;
  if (emptyAs === undefined || text.trim() !== '') {
    const json = parseJson(text);
    if (!json.ok) return json.rejection;
    value = json.value;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) return { reason: 'invalid_payload', message: describeIssues(parsed.error) };
  return parsed.data;
}

/** The event's time: the sensor's ts, or the time of receipt; a ts too far ahead is rejected. */
function eventTime(ts: number | string | undefined, receivedAt: number): { ts: number; sensorTs: boolean } | Rejection {
  if (ts === undefined) return { ts: receivedAt, sensorTs: false };
  const ms = toEpochMs(ts);
  if (ms > receivedAt + MAX_FUTURE_SKEW_MS) {
    return {
      reason: 'future_timestamp',
      message: `ts ${new Date(ms).toISOString()} is more than ${MAX_FUTURE_SKEW_MS / 1000} s ahead of the service's clock`,
    };
  }
  return { ts: ms, sensorTs: true };
}

/** Parses and validates a count payload; `receivedAt` stands in for a missing ts. */
export function parseCountEvent(lotId: string, payload: Uint8Array | string, receivedAt: number): CountEvent | Rejection {
  const p = parsePayload(countPayloadSchema, payload);
  if (isRejection(p)) return p;
  const time = eventTime(p.ts, receivedAt);
  if (isRejection(time)) return time;
  return {
    lotId,
    ts: time.ts,
    seq: p.seq ?? null,
    occupied: p.occupied ?? null,
    free: p.free ?? null,
    capacity: p.capacity ?? null,
    receivedAt,
  };
}

export function parseGateEvent(lotId: string, payload: Uint8Array | string, receivedAt: number): GateEvent | Rejection {
  const p = parsePayload(gatePayloadSchema, payload);
  if (isRejection(p)) return p;
  const time = eventTime(p.ts, receivedAt);
  if (isRejection(time)) return time;
  const count = p.count ?? 1;
  return {
    lotId,
    gate: p.gate,
    delta: p.event === 'entry' ? count : -count,
    ts: time.ts,
    sensorTs: time.sensorTs,
    seq: p.seq ?? null,
    receivedAt,
  };
}

export function parseSpaceEvent(lotId: string, spaceId: string, payload: Uint8Array | string, receivedAt: number): SpaceEvent | Rejection {
  const p = parsePayload(spacePayloadSchema, payload);
  if (isRejection(p)) return p;
  const time = eventTime(p.ts, receivedAt);
  if (isRejection(time)) return time;
  return { lotId, spaceId, occupied: p.occupied, ts: time.ts, seq: p.seq ?? null, receivedAt };
}

/** A heartbeat's payload may be empty (`mosquitto_pub -n`). */
export function parseHeartbeatEvent(lotId: string, payload: Uint8Array | string, receivedAt: number): HeartbeatEvent | Rejection {
  const p = parsePayload(heartbeatPayloadSchema, payload, {});
  if (isRejection(p)) return p;
  const time = eventTime(p.ts, receivedAt);
  if (isRejection(time)) return time;
  return { lotId, ts: time.ts, receivedAt };
}

/** `{"state":"online"|"offline"}`, or the bare words `online` / `offline` many gateways use as their Last Will. */
export function parseStatusEvent(gatewayId: string, payload: Uint8Array | string, receivedAt: number): GatewayStatusEvent | Rejection {
  const word = payloadText(payload).trim();
  const p: StatusPayload | Rejection = word === 'online' || word === 'offline' ? { state: word } : parsePayload(statusPayloadSchema, payload);
  if (isRejection(p)) return p;
  // A status is applied in arrival order (its ts tells nothing usable), but a ts far ahead is still refused, as on every topic.
  const time = eventTime(p.ts, receivedAt);
  if (isRejection(time)) return time;
  return { gatewayId, online: p.state === 'online', receivedAt };
}

export function isRejection(value: object): value is Rejection {
  return 'reason' in value && 'message' in value;
}

/** Whether an MQTT topic matches a subscription filter with `+` and `#` wildcards. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

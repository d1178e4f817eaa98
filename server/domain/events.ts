// The MQTT contract (DESIGN.md §3): topics and payloads, parsed and validated.
// Pure: the ingest stage feeds it raw topics and bytes, it answers with a
// typed event or a rejection carrying a reason. The topics' builders and
// parser are in topics.ts, re-exported here: this is the one module to import.
import { z } from 'zod';
import { describeIssues } from './errors.ts';
import type { LotView } from './lot.ts';
import type { CountEvent, GateEvent, GatewayStatusEvent, HeartbeatEvent, SpaceEvent } from './live.ts';
import { ID_PATTERN, MAX_FUTURE_SKEW_MS, topicOf, type ParsedTopic, type Rejection, type RejectionReason } from './topics.ts';

const ID = ID_PATTERN;

export * from './topics.ts';

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

// The payload types are what a publisher sends (the schemas' input): a
// gateway, the simulators and the bench check theirs against them
// (`{ occupied, ts, seq } satisfies CountPayload`), so a renamed field fails
// to compile where messages are made as well as where they are read.

/** `{base}/lots/{lot}/count`: exactly one of `occupied` and `free` (the schema's refinement, as a type). */
export type CountPayload = Omit<z.input<typeof countPayloadSchema>, 'occupied' | 'free'> &
  ({ occupied: number; free?: never } | { free: number; occupied?: never });

export const gatePayloadSchema = z.object({
  event: z.enum(['entry', 'exit']),
  /** Vehicles that passed together; 1 when absent. */
  count: z.number().int().min(1).max(1000).optional(),
  gate: z.string().regex(ID, `must match ${ID.source}`),
  ts: timestampSchema.optional(),
  seq: seqSchema.optional(),
});
/** `{base}/lots/{lot}/gate`. */
export type GatePayload = z.input<typeof gatePayloadSchema>;

export const spacePayloadSchema = z.object({
  occupied: z.boolean(),
  ts: timestampSchema.optional(),
  seq: seqSchema.optional(),
});
/** `{base}/lots/{lot}/spaces/{space}`. */
export type SpacePayload = z.input<typeof spacePayloadSchema>;

export const heartbeatPayloadSchema = z.object({ ts: timestampSchema.optional() });
/** `{base}/lots/{lot}/heartbeat` (an empty payload is one too). */
export type HeartbeatPayload = z.input<typeof heartbeatPayloadSchema>;

export const statusPayloadSchema = z.object({
  state: z.enum(['online', 'offline']),
  ts: timestampSchema.optional(),
});
/** `{base}/gateways/{gateway}/status` as JSON; the bare words `online` / `offline` are accepted too. */
export type StatusPayload = z.input<typeof statusPayloadSchema>;

/** The payload of each kind of input message. */
export interface PayloadOf {
  count: CountPayload;
  gate: GatePayload;
  space: SpacePayload;
  heartbeat: HeartbeatPayload;
  status: StatusPayload;
}

/** An input message as a publisher sends it: its topic, and its payload as JSON. */
export interface ContractMessage {
  topic: string;
  payload: string;
}

/**
 * Builds an input message: the topic from what it names, the payload typed
 * for that kind of topic (a gate payload cannot go to a count topic).
 */
export function inputMessage<T extends ParsedTopic>(baseTopic: string, topic: T, payload: PayloadOf[T['kind']]): ContractMessage {
  return { topic: topicOf(baseTopic, topic), payload: JSON.stringify(payload) };
}

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
  /** Only for a lot that declares bays of that kind (issue 14): its live free count, null when not known live. */
  freeCharging?: number | null;
  freeDisabled?: number | null;
  freeFamily?: number | null;
  freeWomen?: number | null;
}

export function toAvailabilityPayload(view: LotView): AvailabilityPayload {
  const { id, status, capacity, free, occupied, availability, stale, updatedAt, clamped } = view;
  const payload: AvailabilityPayload = { id, status, capacity, free, occupied, availability, stale, updatedAt, clamped };
  if (view.baysCharging !== null) payload.freeCharging = view.freeCharging;
  if (view.baysDisabled !== null) payload.freeDisabled = view.freeDisabled;
  if (view.baysFamily !== null) payload.freeFamily = view.freeFamily;
  if (view.baysWomen !== null) payload.freeWomen = view.freeWomen;
  return payload;
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

// The MQTT contract (DESIGN.md §3): topics and payloads, parsed and validated.
// Pure: the ingest stage feeds it raw topics and bytes, it answers with a
// typed event or a rejection carrying a reason.
import { z } from 'zod';
import { describeIssues } from './errors.ts';
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

/** What a topic names: its kind and ids. parseTopic reads one; topicOf writes one. */
export type ParsedTopic =
  | { kind: 'count'; lotId: string }
  | { kind: 'gate'; lotId: string }
  | { kind: 'heartbeat'; lotId: string }
  | { kind: 'space'; lotId: string; spaceId: string }
  | { kind: 'status'; gatewayId: string };

/** Lot, space, gate and gateway ids: one pattern for every id in a topic or payload. */
export const ID_PATTERN = LOT_ID_PATTERN;
const ID = ID_PATTERN;

export function isValidId(value: string): boolean {
  return ID.test(value);
}

// ---------------------------------------------------------------------------
// Topics (DESIGN.md §3). Every topic of the contract is spelled here once:
// the service, the gateway rule, the simulators and the bench build them with
// these functions, and parseTopic reads them with the same levels.
// ---------------------------------------------------------------------------

/** MQTT's single-level wildcard: pass it for an id to get a subscription filter (`{base}/lots/+/count`). */
export const ANY_ID = '+';

/** The topic levels of the contract. */
const LEVEL = {
  lots: 'lots',
  gateways: 'gateways',
  spaces: 'spaces',
  count: 'count',
  gate: 'gate',
  heartbeat: 'heartbeat',
  status: 'status',
  availability: 'availability',
  errors: 'errors',
} as const;

/** `{base}/lots/{lot}`: the lot's topics start here. */
export const lotTopicRoot = (baseTopic: string, lotId: string) => `${baseTopic}/${LEVEL.lots}/${lotId}`;
/** `{base}/gateways/{gateway}`: the gateway's topics start here. */
export const gatewayTopicRoot = (baseTopic: string, gatewayId: string) => `${baseTopic}/${LEVEL.gateways}/${gatewayId}`;

/** `{base}/lots/{lot}/count` (gateway): an absolute count, CountPayload. */
export const countTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.count}`;
/** `{base}/lots/{lot}/gate` (gate counter): vehicles passing a gate, GatePayload. */
export const gateTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.gate}`;
/** `{base}/lots/{lot}/heartbeat` (gateway): still alive, HeartbeatPayload or empty. */
export const heartbeatTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.heartbeat}`;
/** `{base}/lots/{lot}/spaces/{space}` (bay sensor): one space's state, SpacePayload. */
export const spaceTopic = (baseTopic: string, lotId: string, spaceId: string) =>
  `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.spaces}/${spaceId}`;
/** `{base}/gateways/{gateway}/status` (gateway, retained, its Last Will): StatusPayload or the bare word. */
export const statusTopic = (baseTopic: string, gatewayId: string) => `${gatewayTopicRoot(baseTopic, gatewayId)}/${LEVEL.status}`;
/** The same as statusTopic (its older name). */
export const gatewayStatusTopic = statusTopic;

/** The service's own outputs: the retained availability of each lot, and the errors topics. */
export const availabilityTopic = (baseTopic: string, lotId: string) => `${lotTopicRoot(baseTopic, lotId)}/${LEVEL.availability}`;
/** `{base}/gateways/{gateway}/errors`: the rejections of one gateway's messages. */
export const gatewayErrorsTopic = (baseTopic: string, gatewayId: string) => `${gatewayTopicRoot(baseTopic, gatewayId)}/${LEVEL.errors}`;
/** `{base}/errors`: the rejections of messages whose publisher the service does not know. */
export const serviceErrorsTopic = (baseTopic: string) => `${baseTopic}/${LEVEL.errors}`;
/** Where a rejection is echoed: the publisher's errors topic when it is a valid gateway id, else `{base}/errors`. */
export function errorsTopic(baseTopic: string, gatewayId: string | undefined): string {
  return gatewayId !== undefined && isValidId(gatewayId) ? gatewayErrorsTopic(baseTopic, gatewayId) : serviceErrorsTopic(baseTopic);
}

/** The topic of an input message: the inverse of parseTopic. */
export function topicOf(baseTopic: string, topic: ParsedTopic): string {
  switch (topic.kind) {
    case 'count':
      return countTopic(baseTopic, topic.lotId);
    case 'gate':
      return gateTopic(baseTopic, topic.lotId);
    case 'heartbeat':
      return heartbeatTopic(baseTopic, topic.lotId);
    case 'space':
      return spaceTopic(baseTopic, topic.lotId, topic.spaceId);
    case 'status':
      return statusTopic(baseTopic, topic.gatewayId);
  }
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
    perLot: [countTopic(baseTopic, ANY_ID), gateTopic(baseTopic, ANY_ID), spaceTopic(baseTopic, ANY_ID, ANY_ID), heartbeatTopic(baseTopic, ANY_ID)],
    statuses: [statusTopic(baseTopic, ANY_ID)],
  };
}

export function subscriptionTopics(baseTopic: string): string[] {
  const { perLot, statuses } = ingestSubscriptions(baseTopic);
  return [...perLot, ...statuses];
}

/** Whether a topic is in the contract's namespace (`{base}/lots/…`, `{base}/gateways/…`, `{base}/errors`). */
export function isContractTopic(baseTopic: string, topic: string): boolean {
  return (
    topic.startsWith(lotTopicRoot(baseTopic, '')) ||
    topic.startsWith(gatewayTopicRoot(baseTopic, '')) ||
    topic === serviceErrorsTopic(baseTopic)
  );
}

const describeId = (what: string, id: string) => `${what} "${id.slice(0, 80)}" must match ${ID.source}`;

export function parseTopic(baseTopic: string, topic: string): ParsedTopic | Rejection {
  if (topic === serviceErrorsTopic(baseTopic)) return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
  // The builders with an empty id: `{base}/lots/` and `{base}/gateways/`.
  const lotsPrefix = lotTopicRoot(baseTopic, '');
  const gatewaysPrefix = gatewayTopicRoot(baseTopic, '');
  const expected =
    `expected ${lotsPrefix}{lot}/${LEVEL.count}|${LEVEL.gate}|${LEVEL.heartbeat}, ` +
    `${lotsPrefix}{lot}/${LEVEL.spaces}/{space} or ${gatewaysPrefix}{gateway}/${LEVEL.status}`;

  if (topic.startsWith(gatewaysPrefix)) {
    const [gatewayId, kind, ...rest] = topic.slice(gatewaysPrefix.length).split('/');
    if (gatewayId === undefined || rest.length > 0 || (kind !== LEVEL.status && kind !== LEVEL.errors)) {
      return { reason: 'malformed_topic', message: expected };
    }
    if (kind === LEVEL.errors) return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
    if (!ID.test(gatewayId)) return { reason: 'malformed_topic', message: describeId('gateway id', gatewayId) };
    return { kind: 'status', gatewayId };
  }
  if (!topic.startsWith(lotsPrefix)) return { reason: 'malformed_topic', message: expected };

  const [lotId, kind, ...rest] = topic.slice(lotsPrefix.length).split('/');
  if (lotId === undefined || kind === undefined) return { reason: 'malformed_topic', message: expected };
  if (kind === LEVEL.availability && rest.length === 0) {
    return { reason: 'reserved_topic', message: `${topic} is written by the service only` };
  }
  const lotKind = kind === LEVEL.count || kind === LEVEL.gate || kind === LEVEL.heartbeat ? kind : null;
  const isSpace = kind === LEVEL.spaces && rest.length === 1;
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

// The MQTT contract (DESIGN.md §3): topics and payloads, parsed and validated.
// Pure: the ingest stage feeds it raw topics and bytes, it answers with a
// typed event or a rejection carrying a reason.
import { z } from 'zod';
import { LOT_ID_PATTERN } from './lot.ts';
import type { CountEvent } from './live.ts';

/** How far ahead of the service's clock a sensor's ts may be (clock skew). */
export const MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;

export const rejectionReasons = [
  'malformed_topic',
  'malformed_payload',
  'invalid_payload',
  'future_timestamp',
  'unknown_lot',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

export interface Rejection {
  reason: RejectionReason;
  message: string;
}

export type TopicKind = 'count';

export interface ParsedTopic {
  kind: TopicKind;
  lotId: string;
}

const SEGMENT = new RegExp(LOT_ID_PATTERN.source.slice(1, -1));
const WHOLE_SEGMENT = new RegExp(`^${SEGMENT.source}$`);

/** The topic filters the service subscribes to. */
export function subscriptionTopics(baseTopic: string): string[] {
  return [`${baseTopic}/lots/+/count`];
}

export function parseTopic(baseTopic: string, topic: string): ParsedTopic | Rejection {
  const prefix = `${baseTopic}/lots/`;
  if (!topic.startsWith(prefix)) {
    return { reason: 'malformed_topic', message: `topic must start with ${prefix}` };
  }
  const parts = topic.slice(prefix.length).split('/');
  const [lotId, kind] = parts;
  if (parts.length !== 2 || lotId === undefined || kind !== 'count') {
    return { reason: 'malformed_topic', message: `expected ${prefix}{lot}/count` };
  }
  if (!WHOLE_SEGMENT.test(lotId)) {
    return { reason: 'malformed_topic', message: `lot id "${lotId.slice(0, 80)}" must match ${LOT_ID_PATTERN.source}` };
  }
  return { kind, lotId };
}

const timestampSchema = z.union([
  z.number().int().nonnegative().max(8.64e15),
  z.iso.datetime({ offset: true }),
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

export function toEpochMs(ts: number | string): number {
  return typeof ts === 'number' ? ts : Date.parse(ts);
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

function parseJson(payload: Uint8Array | string): { ok: true; value: unknown } | { ok: false; rejection: Rejection } {
  const text = typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8');
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, rejection: { reason: 'malformed_payload', message: 'payload is not valid JSON' } };
  }
}

/** Parses and validates a count payload; `receivedAt` stands in for a missing ts. */
export function parseCountEvent(
  lotId: string,
  payload: Uint8Array | string,
  receivedAt: number,
): CountEvent | Rejection {
  const json = parseJson(payload);
  if (!json.ok) return json.rejection;
  const parsed = countPayloadSchema.safeParse(json.value);
  if (!parsed.success) {
    return { reason: 'invalid_payload', message: describeIssues(parsed.error) };
  }
  const p = parsed.data;
  const ts = p.ts === undefined ? receivedAt : toEpochMs(p.ts);
  if (ts > receivedAt + MAX_FUTURE_SKEW_MS) {
    return {
      reason: 'future_timestamp',
      message: `ts ${new Date(ts).toISOString()} is more than ${MAX_FUTURE_SKEW_MS / 1000} s ahead of the service's clock`,
    };
  }
  return {
    lotId,
    ts,
    seq: p.seq ?? null,
    occupied: p.occupied ?? null,
    free: p.free ?? null,
    capacity: p.capacity ?? null,
    receivedAt,
  };
}

export function isRejection(value: object): value is Rejection {
  return 'reason' in value;
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

// HTTP ingest (DESIGN.md §3, "HTTP ingest"): the MQTT contract over HTTP, for
// systems that cannot speak MQTT. Each input topic is a path — the topic with
// its base replaced by /api/ingest — and the body is the topic's payload, or
// a JSON array of payloads (a batch). Every message goes through the same
// ingest stage as MQTT; the answer names each message's outcome, and comes
// only after the commit. The request and answer schemas are here, named, so
// the API description can show them. Pure.
import { z } from 'zod';
import {
  countPayloadSchema, gatePayloadSchema, heartbeatPayloadSchema, payloadText, rejectionReasons, spacePayloadSchema, statusPayloadSchema, topicOf,
  type MessageKind, type ParsedTopic, type RejectionReason,
} from './events.ts';
import { ANY_ID } from './topics.ts';
import type { GatewayTopics } from './gateway-topics.ts';
import { applyOutcomes, type ApplyOutcome } from './live.ts';

/** Where the ingest paths start: `/api/ingest/lots/{lot}/count` is `{base}/lots/{lot}/count`. */
export const INGEST_PATH_PREFIX = '/api/ingest';
/** The most messages one request may carry. */
export const MAX_INGEST_BATCH = 1000;
/** The most bytes one request may carry (1,000 payloads of about 1 KB). */
export const MAX_INGEST_BODY_BYTES = 1024 * 1024;

/** The HTTP path of an input topic (the MQTT topic with `/api/ingest` for its base). */
export function ingestPathOf(topic: ParsedTopic): string {
  return topicOf(INGEST_PATH_PREFIX, topic);
}

/** The paths a gateway may post to: its publish topics as paths (`spaces/+` is `spaces/{space}`). */
export function ingestPathsOf(baseTopic: string, topics: GatewayTopics): string[] {
  return topics.publish.map((topic) => `${INGEST_PATH_PREFIX}${topic.slice(baseTopic.length)}`.replace(`/${ANY_ID}`, '/{space}'));
}

const batchOf = <S extends z.ZodType>(payload: S) => z.union([payload, z.array(payload).min(1).max(MAX_INGEST_BATCH)]);

/** POST /api/ingest/lots/{lot}/count: a count payload, or an array of them. */
export const countIngestBodySchema = batchOf(countPayloadSchema);
/** POST /api/ingest/lots/{lot}/gate: a gate payload, or an array of them. */
export const gateIngestBodySchema = batchOf(gatePayloadSchema);
/** POST /api/ingest/lots/{lot}/spaces/{space}: a bay payload, or an array of them. */
export const spaceIngestBodySchema = batchOf(spacePayloadSchema);
/** POST /api/ingest/lots/{lot}/heartbeat: a heartbeat payload (or an empty body), or an array of them. */
export const heartbeatIngestBodySchema = batchOf(heartbeatPayloadSchema);
/**
 * POST /api/ingest/gateways/{id}/status: a status payload or, as over MQTT,
 * the bare word `online` / `offline` (text/plain); in an array, a word is a JSON string.
 */
export const statusIngestBodySchema = batchOf(z.union([statusPayloadSchema, z.enum(['online', 'offline'])]));

/** The body of each ingest path, by the kind of its topic. */
export const ingestBodySchemas: Record<MessageKind, z.ZodType> = {
  count: countIngestBodySchema,
  gate: gateIngestBodySchema,
  space: spaceIngestBodySchema,
  heartbeat: heartbeatIngestBodySchema,
  status: statusIngestBodySchema,
};

/** What became of one message: its outcome (DESIGN.md §3), or why it was rejected. */
export const ingestItemResultSchema = z.union([
  z.object({ outcome: z.enum(applyOutcomes) }),
  z.object({ error: z.object({ reason: z.enum(rejectionReasons), message: z.string() }) }),
]);
export type IngestItemResult = z.infer<typeof ingestItemResultSchema>;

/** 200 from an ingest path: one result per message, in the order sent; given only once every one is committed. */
export const ingestAnswerSchema = z.object({ results: z.array(ingestItemResultSchema) });
export type IngestAnswer = z.infer<typeof ingestAnswerSchema>;

/**
 * The details of a 503 from an ingest path (the live store stayed down, or the
 * service is stopping): the results of the messages committed before it, in
 * order; nothing is known of the others. Send the whole batch again.
 */
export interface IngestUnavailableDetails {
  results: IngestItemResult[];
  committed: number;
  retryAfterS: number;
}

/** What the ingest stage answers for one message (Ingest.handle, as the HTTP input sees it). */
export type HandledMessage =
  | { status: ApplyOutcome }
  | { status: 'rejected'; reason: RejectionReason; message: string };

/**
 * The ingest stage, handed to the HTTP input by the composition root: one
 * message in, its result out once committed. Rejects when it was not
 * committed (the signal aborted while the live store was down, or the service stopping).
 */
export type IngestMessage = (topic: string, payload: Uint8Array, publisher: string, signal: AbortSignal) => Promise<HandledMessage>;

export function toItemResult(handled: HandledMessage): IngestItemResult {
  return handled.status === 'rejected' ? { error: { reason: handled.reason, message: handled.message } } : { outcome: handled.status };
}

export type SplitBody = { ok: true; payloads: Uint8Array[] } | { ok: false; problem: 'empty_batch' | 'too_many' ; count: number };

/**
 * A request body as the messages it carries: a JSON array is a batch (each
 * element one payload, its text as sent; a string element is a text payload,
 * as the bare status words), anything else one payload exactly as sent — so a
 * malformed body is refused by the same rules as a malformed MQTT payload.
 */
export function splitIngestBody(body: Uint8Array): SplitBody {
  const text = payloadText(body);
  if (!text.trimStart().startsWith('[')) return { ok: true, payloads: [body] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: true, payloads: [body] };
  }
  if (!Array.isArray(parsed)) return { ok: true, payloads: [body] };
  if (parsed.length === 0) return { ok: false, problem: 'empty_batch', count: 0 };
  if (parsed.length > MAX_INGEST_BATCH) return { ok: false, problem: 'too_many', count: parsed.length };
  const encoder = new TextEncoder();
  // Each element's own text, not JSON.stringify of its value: that recurses,
  // and an element nested some thousands deep threw (a 500) instead of being
  // rejected in its own result, as the same payload over MQTT is.
  const elements = elementTexts(text);
  return { ok: true, payloads: parsed.map((item, i) => encoder.encode(typeof item === 'string' ? item : elements[i]!)) };
}

/** The text of each element of a JSON array (text JSON.parse took), as written; a loop, however deep the nesting. */
function elementTexts(json: string): string[] {
  const elements: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json[i];
    if (ch === '"') {
      // To the closing quote; a backslash escapes the character after it.
      for (i++; json[i] !== '"'; i++) if (json[i] === '\\') i++;
    } else if (ch === '[' || ch === '{') {
      if (depth++ === 0) start = i + 1;
    } else if (ch === ']' || ch === '}') {
      if (--depth === 0) elements.push(json.slice(start, i).trim());
    } else if (ch === ',' && depth === 1) {
      elements.push(json.slice(start, i).trim());
      start = i + 1;
    }
  }
  return elements;
}

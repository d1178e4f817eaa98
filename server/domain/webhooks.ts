// Alerts for operators (DESIGN.md §4, "Alerts"): webhooks, the events they
// are told of, and the rules that decide when a lot's condition changes.
// Pure: the SQL outbox, the signatures and the HTTP calls are elsewhere
// (catalog/webhooks.ts, alerts/).
import { z } from 'zod';
import { changesBetween, type FieldChange } from './lot-input.ts';
import type { LiveState } from './live.ts';
import type { LotMeta } from './lot.ts';
import { say } from './messages.ts';
import { optionalText } from './text.ts';

/** What a webhook may ask to be told of. */
export const webhookEvents = ['gateway.offline', 'lot.stale', 'lot.clamped', 'lot.full', 'lot.changed'] as const;
export type WebhookEvent = (typeof webhookEvents)[number];
/** What a delivery carries: an event, or the ping an operator asks for (POST /api/webhooks/{id}/test). */
export const deliveryEvents = [...webhookEvents, 'ping'] as const;
export type DeliveryEvent = (typeof deliveryEvents)[number];

/** A condition began (`firing`) or ended (`resolved`), as Alertmanager says it. */
export const alertStates = ['firing', 'resolved'] as const;
export type AlertState = (typeof alertStates)[number];

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/** The headers of every delivery. */
export const WEBHOOK_HEADERS = {
  signature: 'X-Kongwei-Signature',
  delivery: 'X-Kongwei-Delivery',
  event: 'X-Kongwei-Event',
} as const;

export const WEBHOOK_ID_PATTERN = /^wh-[a-z0-9]{10}$/;
export const WEBHOOK_SECRET_PREFIX = 'kwh_';

/** The target: http or https, no user name or password in it (the signature is the credential). */
const webhookUrl = z
  .string()
  .trim()
  .max(2048)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: say('must be an absolute http:// or https:// URL', '应为完整的 http:// 或 https:// 网址') });
      return;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: say('must start with http:// or https://', '应以 http:// 或 https:// 开头') });
    } else if (url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: say('must not carry a user name or password (each delivery is signed with the secret instead)', '不能包含用户名或密码（每次投递都用密钥签名）') });
    } else if (url.hash) {
      ctx.addIssue({ code: 'custom', message: say('must not have a #fragment (it is never sent)', '不能包含 #片段（不会被发送）') });
    }
  });

const events = z
  .array(z.enum(webhookEvents))
  .min(1)
  .transform((list) => webhookEvents.filter((event) => list.includes(event)));

/** A secret the caller chooses: what its receiver will check signatures with. */
const secret = z
  .string()
  .min(16, say('must be at least 16 characters', '至少 16 个字符'))
  .max(200)
  .regex(/^[\x21-\x7e]+$/, say('must be printable ASCII without spaces', '只能含可打印的 ASCII 字符，不含空格'));

export const webhookCreateSchema = z
  .object({
    url: webhookUrl,
    events,
    secret: secret.optional().describe('given: used as it is; left out: one is made (kwh_…) and shown once'),
    description: optionalText(200).default(null),
    enabled: z.boolean().default(true),
  })
  .strict();
export type WebhookCreateInput = z.output<typeof webhookCreateSchema>;

export const webhookPatchSchema = z
  .object({
    url: webhookUrl,
    events,
    secret: secret.describe('a new secret (never shown again)'),
    description: optionalText(200),
    enabled: z.boolean(),
  })
  .partial()
  .strict();
export type WebhookPatchInput = z.output<typeof webhookPatchSchema>;

export const deliveriesQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }).strict();

/** A webhook as the API shows it (never its secret). */
export interface WebhookView {
  id: string;
  ownerId: string;
  url: string;
  events: WebhookEvent[];
  description: string | null;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

/** POST /api/webhooks: the secret is shown here once, and never again. */
export interface NewWebhookAnswer extends WebhookView {
  secret: string;
}

/** One delivery, as the delivery log shows it. */
export interface DeliveryView {
  /** The delivery id (X-Kongwei-Delivery): the same on every attempt, for the receiver to de-duplicate. */
  id: string;
  webhookId: string;
  event: DeliveryEvent;
  /** The lot or gateway it is about (null for a ping). */
  subject: string | null;
  state: AlertState | null;
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
  occurredAt: string;
  lastAttemptAt: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  /** The receiver's HTTP status at the last attempt (null: no answer). */
  responseStatus: number | null;
  /** Why the last attempt failed (a timeout, a refused address, an HTTP status). */
  error: string | null;
}

/** A lot as an alert shows it: the live numbers and the names an operator recognises. */
export interface LotSnapshot {
  id: string;
  name: string | null;
  nameEn: string | null;
  capacity: number;
  occupied: number | null;
  free: number | null;
  clamped: boolean;
  stale: boolean;
  offline: boolean;
  updatedAt: string | null;
  heardAt: string | null;
}

export interface LotAlertData {
  state: AlertState;
  lot: LotSnapshot;
  /** lot.stale only: nothing heard for the lot's threshold, or a gateway serving it went offline. */
  reason?: 'no_data' | 'gateway_offline';
}

export interface GatewayAlertData {
  state: AlertState;
  gateway: { id: string; name: string | null; lotIds: string[] };
}

export interface LotChangedData {
  change: 'added' | 'changed' | 'removed';
  lot: LotMeta;
  /** Each field from what to what (every field for an added or removed lot). */
  changes: Record<string, FieldChange>;
}

export interface PingData {
  message: string;
  webhook: { id: string; url: string; events: WebhookEvent[] };
}

/** The body of every delivery, signed as a whole (X-Kongwei-Signature). */
export interface WebhookEnvelope<T = unknown> {
  /** The delivery id, as X-Kongwei-Delivery. */
  id: string;
  event: DeliveryEvent;
  webhookId: string;
  /** Grows with every delivery this service queues: of two about one lot or gateway, the higher is the newer. */
  sequence: number;
  /** When it happened (the service's clock). */
  occurredAt: string;
  /** When this attempt was sent: a receiver refuses bodies older than a few minutes (replays). */
  sentAt: string;
  /** 1 for the first attempt. */
  attempt: number;
  data: T;
}

// ---- Lots' conditions: what turns an alert on and off

export const lotConditions = ['lot.full', 'lot.clamped', 'lot.stale'] as const;
export type LotCondition = (typeof lotConditions)[number];

/**
 * Which of a lot's conditions hold in a live state: full (as many vehicles as
 * spaces, of a lot with spaces), clamped (the count the sources add up to was
 * outside 0…capacity), stale (its stale transition was announced, or a gateway
 * serving it is offline: DESIGN.md §3). A lot with no live state has none.
 */
export function conditionsOf(state: LiveState | undefined): Record<LotCondition, boolean> {
  return {
    'lot.full': !!state && state.occupied !== null && state.capacity > 0 && state.occupied >= state.capacity,
    'lot.clamped': !!state?.clamped,
    'lot.stale': !!state && (!!state.staleMarked || !!state.offline),
  };
}

/** The conditions that began or ended from one live state of a lot to the next. */
export function lotTransitions(before: LiveState | undefined, after: LiveState | undefined): { event: LotCondition; state: AlertState }[] {
  const [was, is] = [conditionsOf(before), conditionsOf(after)];
  return lotConditions.filter((event) => was[event] !== is[event]).map((event) => ({ event, state: is[event] ? 'firing' : 'resolved' }));
}

/**
 * A committed live state, as one string: the same on every instance (each
 * reads it from the same store, or the same feed message), and different for
 * any two states a lot passes through in turn — so a transition to it can be
 * named once across instances.
 */
export function liveFingerprint(state: LiveState): string {
  const { capacity, occupied, ts, seq, clamped, receivedAt, aliveAt, offline, staleMarked } = state;
  return JSON.stringify([capacity, occupied, ts, seq, clamped, receivedAt, aliveAt ?? null, !!offline, !!staleMarked]);
}

/** What names a lot's transition for de-duplication: the same wherever it is seen. */
export function lotTransitionKey(event: LotCondition, lotId: string, state: AlertState, live: LiveState): string {
  return `${event}|${lotId}|${state}|${liveFingerprint(live)}`;
}

/**
 * What names a gateway's transition: statuses carry no time or sequence
 * (DESIGN.md §3), so it is "the change after the last one announced" — the
 * same for every instance that hears the status at the same point.
 */
export function gatewayTransitionKey(gatewayId: string, state: AlertState, afterDeliveryId: string | null): string {
  return `gateway.offline|${gatewayId}|${state}|after:${afterDeliveryId ?? 'none'}`;
}

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export function lotSnapshot(id: string, meta: LotMeta | undefined, state: LiveState): LotSnapshot {
  return {
    id,
    name: meta?.name ?? null,
    nameEn: meta?.nameEn ?? null,
    capacity: state.capacity,
    occupied: state.occupied,
    free: state.occupied === null ? null : Math.max(0, state.capacity - state.occupied),
    clamped: state.clamped,
    stale: !!state.staleMarked || !!state.offline,
    offline: !!state.offline,
    updatedAt: iso(state.ts),
    heardAt: iso(state.aliveAt ?? state.ts),
  };
}

export function lotAlertData(event: LotCondition, state: AlertState, lot: LotSnapshot): LotAlertData {
  if (event !== 'lot.stale') return { state, lot };
  return { state, lot, ...(state === 'firing' ? { reason: lot.offline ? 'gateway_offline' : 'no_data' } : {}) };
}

export function lotChangedData(change: LotChangedData['change'], lot: LotMeta, previous: LotMeta | null): LotChangedData {
  const [before, after] = change === 'added' ? [null, lot] : change === 'removed' ? [lot, null] : [previous, lot];
  return { change, lot, changes: changesBetween(before, after) };
}

// ---- Retries

export interface RetryPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

/**
 * How long to wait after the `failed`-th failed attempt: exponential
 * (base, 2·base, 4·base… up to max), half of it fixed and half random
 * ("equal jitter"), so receivers coming back from an outage are not hit by
 * every sender's retries at once, and no retry comes sooner than half its step.
 */
export function retryDelayMs(failed: number, policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, random: () => number): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failed - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

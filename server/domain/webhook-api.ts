// The webhooks API's answers as zod schemas (DESIGN.md §4, "Alerts"), for
// the OpenAPI document and the tests, held to the TypeScript types the
// server answers with (as api-answers.ts does). Pure.
import { z } from 'zod';
import { alertStates, deliveryEvents, deliveryStatuses, webhookEvents, type DeliveryView, type NewWebhookAnswer, type WebhookView } from './webhooks.ts';

const isoTime = z.iso.datetime({ offset: true });

export const webhookViewSchema = z.object({
  id: z.string(),
  ownerId: z.string().describe('the operator whose lots and gateways it is told of (an administrator\'s: every lot)'),
  url: z.string(),
  events: z.array(z.enum(webhookEvents)),
  description: z.string().nullable(),
  enabled: z.boolean(),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export const newWebhookAnswerSchema = webhookViewSchema.extend({
  secret: z.string().describe('the HMAC-SHA256 key of X-Kongwei-Signature: shown once, never again'),
});
export const webhooksAnswerSchema = z.object({ webhooks: z.array(webhookViewSchema) });

export const deliveryViewSchema = z.object({
  id: z.string().describe('the delivery id (X-Kongwei-Delivery): the same on every attempt'),
  webhookId: z.string(),
  event: z.enum(deliveryEvents),
  subject: z.string().nullable().describe('the lot or gateway it is about'),
  state: z.enum(alertStates).nullable(),
  status: z.enum(deliveryStatuses),
  attempts: z.number().int().min(0),
  maxAttempts: z.number().int().min(1),
  occurredAt: isoTime,
  lastAttemptAt: isoTime.nullable(),
  nextAttemptAt: isoTime.nullable().describe('when the next attempt is due (pending only)'),
  deliveredAt: isoTime.nullable(),
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
});
export const deliveriesAnswerSchema = z.object({ deliveries: z.array(deliveryViewSchema) });

/** A path segment naming a webhook, and one naming a webhook and one of its deliveries. */
export const webhookParamsSchema = z.object({ id: z.string().describe('a webhook id: wh-…') });
export const deliveryParamsSchema = webhookParamsSchema.extend({ deliveryId: z.string().describe('a delivery id (a UUID)') });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const held: [
  Same<z.infer<typeof webhookViewSchema>, WebhookView>,
  Same<z.infer<typeof newWebhookAnswerSchema>, NewWebhookAnswer>,
  Same<z.infer<typeof deliveryViewSchema>, DeliveryView>,
] = [true, true, true];
void held;

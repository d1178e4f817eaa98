// The webhooks API (DESIGN.md §4, "Alerts"), part of the operators' routes
// and behind their authentication: an operator's own webhooks (an
// administrator's: every one), a test ping, and the delivery log. Thin
// handlers: call the use case, answer.
import type { RequestHandler, Router } from 'express';
import { deliveriesAnswerSchema, deliveryParamsSchema, deliveryViewSchema, newWebhookAnswerSchema, webhookParamsSchema, webhookViewSchema, webhooksAnswerSchema } from '../domain/webhook-api.ts';
import { deliveriesQuerySchema, webhookCreateSchema, webhookPatchSchema } from '../domain/webhooks.ts';
import type { WebhookAdmin } from '../manage/webhook-admin.ts';
import { principalOf } from './auth.ts';
import type { RouteDoc } from './openapi/registry.ts';

/** Adds the webhook routes to the operators' router, after its authentication (`auth`). */
export function addWebhookRoutes(router: Router, auth: RequestHandler[], webhooks: WebhookAdmin): void {
  router.post('/webhooks', ...auth, async (req, res) => {
    const webhook = await webhooks.create(principalOf(req), req.body);
    res.status(201).location(`/api/webhooks/${webhook.id}`).json(webhook);
  });

  router.get('/webhooks', ...auth, async (req, res) => {
    res.json({ webhooks: await webhooks.list(principalOf(req)) });
  });

  router.get('/webhooks/:id', ...auth, async (req, res) => {
    res.json(await webhooks.get(principalOf(req), String(req.params.id)));
  });

  router.patch('/webhooks/:id', ...auth, async (req, res) => {
    res.json(await webhooks.update(principalOf(req), String(req.params.id), req.body));
  });

  router.delete('/webhooks/:id', ...auth, async (req, res) => {
    await webhooks.remove(principalOf(req), String(req.params.id));
    res.status(204).end();
  });

  router.post('/webhooks/:id/test', ...auth, async (req, res) => {
    res.status(202).json(await webhooks.test(principalOf(req), String(req.params.id)));
  });

  router.get('/webhooks/:id/deliveries', ...auth, async (req, res) => {
    res.json({ deliveries: await webhooks.deliveries(principalOf(req), String(req.params.id), req.query) });
  });

  router.post('/webhooks/:id/deliveries/:deliveryId/redeliver', ...auth, async (req, res) => {
    res.status(202).json(await webhooks.redeliver(principalOf(req), String(req.params.id), String(req.params.deliveryId)));
  });
}

const errors = { 403: 'the webhook belongs to another operator', 404: 'no such webhook' };
const tags = ['webhooks'];
const signing =
  'Each delivery is a POST of a JSON envelope `{id, event, webhookId, sequence, occurredAt, sentAt, attempt, data}` with ' +
  '`X-Kongwei-Signature: sha256=<hex HMAC-SHA256 of the raw body under the secret>`, `X-Kongwei-Delivery: <id>` (the same on every ' +
  'attempt: de-duplicate by it) and `X-Kongwei-Event`; a 2xx answer delivers it, anything else is retried with exponential backoff.';

export const webhookRouteDocs: RouteDoc[] = [
  {
    method: 'post', path: '/webhooks', operationId: 'createWebhook', tags, auth: 'operator',
    summary: 'A new webhook of the caller\'s: told of its lots\' and gateways\' events (an administrator\'s: every lot\'s)',
    description:
      `The URL's host must resolve to public addresses only (not private, loopback, link-local, CGNAT, multicast…, unless the service's ` +
      `WEBHOOK_ALLOW_PRIVATE allows the range): a 400 names \`url\` otherwise. The secret is the caller's, or made here; shown once. ${signing}`,
    body: { schema: webhookCreateSchema },
    responses: { 201: { description: 'the webhook, with its secret', schema: newWebhookAnswerSchema, headers: { Location: { description: '/api/webhooks/{id}' } } } },
    errors: { 400: '', 413: '' },
  },
  {
    method: 'get', path: '/webhooks', operationId: 'listWebhooks', tags, auth: 'operator',
    summary: 'The caller\'s webhooks (an administrator: every one); never a secret',
    responses: { 200: { description: 'the webhooks', schema: webhooksAnswerSchema } },
  },
  {
    method: 'get', path: '/webhooks/{id}', operationId: 'getWebhook', tags, auth: 'operator',
    summary: 'One webhook', params: webhookParamsSchema,
    responses: { 200: { description: 'the webhook', schema: webhookViewSchema } },
    errors,
  },
  {
    method: 'patch', path: '/webhooks/{id}', operationId: 'updateWebhook', tags, auth: 'operator',
    summary: 'Change a webhook: only the fields sent (a new URL is checked again; a new secret is never shown)', params: webhookParamsSchema,
    body: { schema: webhookPatchSchema },
    responses: { 200: { description: 'the webhook', schema: webhookViewSchema } },
    errors: { 400: '', ...errors, 413: '' },
  },
  {
    method: 'delete', path: '/webhooks/{id}', operationId: 'deleteWebhook', tags, auth: 'operator',
    summary: 'Delete a webhook and its delivery log (what was pending is not sent)', params: webhookParamsSchema,
    responses: { 204: { description: 'done; no body' } },
    errors,
  },
  {
    method: 'post', path: '/webhooks/{id}/test', operationId: 'pingWebhook', tags, auth: 'operator',
    summary: 'Queue a `ping` delivery to the webhook, signed and retried like any other', params: webhookParamsSchema,
    responses: { 202: { description: 'the delivery, queued', schema: deliveryViewSchema } },
    errors,
  },
  {
    method: 'get', path: '/webhooks/{id}/deliveries', operationId: 'listWebhookDeliveries', tags, auth: 'operator',
    summary: 'The delivery log: the webhook\'s deliveries, newest first, with status, attempts, the last answer and the next retry',
    params: webhookParamsSchema, query: deliveriesQuerySchema, parameterNotes: { limit: 'how many (1–200, default 50)' },
    responses: { 200: { description: 'the deliveries', schema: deliveriesAnswerSchema } },
    errors: { 400: '', ...errors },
  },
  {
    method: 'post', path: '/webhooks/{id}/deliveries/{deliveryId}/redeliver', operationId: 'redeliverWebhookDelivery', tags, auth: 'operator',
    summary: 'Send a delivery again from its first attempt, under the same delivery id', params: deliveryParamsSchema,
    responses: { 202: { description: 'the delivery, queued again', schema: deliveryViewSchema } },
    errors: { 403: errors[403], 404: 'no such webhook or delivery' },
  },
];

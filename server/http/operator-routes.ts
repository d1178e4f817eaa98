// The operators' API (DESIGN.md §4): accounts, lot writes, audit, gateway
// credentials. Thin handlers: authenticate, call one use case, answer.
import { Router, type Request } from 'express';
import {
  assignedGatewayAnswerSchema, auditAnswerSchema, gatewaysAnswerSchema, idParamsSchema, lotPatchBodySchema, lotViewSchema, meAnswerSchema,
  myLotsAnswerSchema, newGatewayAnswerSchema, newOperatorAnswerSchema, operatorsAnswerSchema,
} from '../domain/api-answers.ts';
import { lotCreateSchema } from '../domain/lot-input.ts';
import { newOperatorSchema } from '../domain/principal.ts';
import type { OperatorAccounts } from '../manage/operators.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { GatewayAdmin, GatewayInfo } from '../manage/gateway-admin.ts';
import type { LotAdmin } from '../manage/lot-admin.ts';
import type { HistoryImport } from '../manage/history-import.ts';
import type { LotImport } from '../manage/lot-import.ts';
import { notFound } from '../domain/errors.ts';
import { gatewayTopics } from '../domain/gateway-topics.ts';
import { INGEST_PATH_PREFIX, ingestPathsOf } from '../domain/http-ingest.ts';
import { assignLotSchema, newGatewaySchema, type AssignedGatewayAnswer, type HttpIngestConnection, type MyLotsAnswer, type NewGatewayAnswer } from '../domain/operator-api.ts';
import { lotIdSchema } from '../domain/lot.ts';
import type { LotViews } from '../query/lot-views.ts';
import { principalOf, requireAdmin, requireAuth } from './auth.ts';
import { parseOr400 } from './errors.ts';
import { historyImportHandlers, historyImportRouteDoc, IMPORT_PATH, importHandlers, importRouteDoc } from './import-routes.ts';
import type { RouteDoc } from './openapi/registry.ts';
import { FailedAuthentications, writeRateLimit } from './security.ts';
import { addWebhookRoutes, webhookRouteDocs } from './webhook-routes.ts';
import type { WebhookAdmin } from '../manage/webhook-admin.ts';

export interface OperatorApiOptions {
  operators: OperatorAccounts;
  lots: LotAdmin;
  /** Bulk lots (POST /api/lots/import). */
  imports: LotImport;
  /** A lot's older history (POST /api/lots/{id}/history). */
  historyImport: HistoryImport;
  gateways: GatewayAdmin;
  /** Alerts for operators (POST /api/webhooks …). */
  webhooks: WebhookAdmin;
  views: LotViews;
  catalog: Catalog;
  baseTopic: string;
  /** The broker URL a gateway should use, as seen from this request's host. */
  brokerUrl: (req: Request) => string;
  /** Whether the broker checks gateway credentials (MQTT_AUTH=on, or an external broker with ACLs). */
  mqttAuth: boolean;
  /** Whether a gateway is connected now; null when this instance cannot know (external broker, auth off). */
  gatewayOnline: (gatewayId: string) => boolean | null;
  writesPerMinute: number;
  authFailuresPer15Minutes: number;
}

/** A path parameter that is not a valid lot or gateway id cannot name one: 404, as for an unknown one. */
function idParam(req: Request, what: string): string {
  const raw = String(req.params.id);
  const parsed = lotIdSchema.safeParse(raw);
  if (!parsed.success) throw notFound(`${what} "${raw.slice(0, 80)}"`);
  return parsed.data;
}

export function operatorRouter(options: OperatorApiOptions): Router {
  const { lots, gateways, views } = options;
  const router = Router();
  const failures = new FailedAuthentications(options.authFailuresPer15Minutes);
  const auth = [writeRateLimit(options.writesPerMinute), requireAuth(options.operators, failures)];

  const withOnline = (gateway: GatewayInfo) => ({ ...gateway, online: options.gatewayOnline(gateway.id) });
  const connection = (req: Request, gatewayId: string, lotIds: string[]) => ({
    url: options.brokerUrl(req),
    clientId: gatewayId,
    username: gatewayId,
    topics: gatewayTopics(options.baseTopic, gatewayId, lotIds),
  });
  /** HTTP ingest, at this service's address as the request reached it (behind a proxy: with TRUST_PROXY). */
  const httpConnection = (req: Request, gatewayId: string, lotIds: string[]): HttpIngestConnection => ({
    url: `${req.protocol}://${req.get('host')}${INGEST_PATH_PREFIX}`,
    username: gatewayId,
    paths: ingestPathsOf(options.baseTopic, gatewayTopics(options.baseTopic, gatewayId, lotIds)),
  });

  router.get('/me', ...auth, (req, res) => {
    res.json({ operator: principalOf(req), mqtt: { url: options.brokerUrl(req), baseTopic: options.baseTopic, auth: options.mqttAuth } });
  });

  /** The lots the caller manages, with live counts, and their gateways with online state. */
  router.get('/me/lots', ...auth, async (req, res) => {
    const principal = principalOf(req);
    const ids = await lots.managedIds(principal);
    const metas = ids.map((id) => options.catalog.get(id)).filter((m) => m !== undefined);
    const answer: MyLotsAnswer = { lots: await views.viewsOf(metas), gateways: (await gateways.forLots(ids)).map(withOnline) };
    res.json(answer);
  });

  router.post('/operators', ...auth, requireAdmin(), async (req, res) => {
    const input = parseOr400(newOperatorSchema, req.body ?? {}, 'operator');
    const { operator, token } = await options.operators.create(input);
    res.status(201).json({ ...operator, token });
  });

  router.get('/operators', ...auth, requireAdmin(), async (_req, res) => {
    res.json({ operators: await options.operators.list() });
  });

  router.delete('/operators/:id', ...auth, requireAdmin(), async (req, res) => {
    const id = String(req.params.id);
    if (!(await options.operators.disable(id))) throw notFound(`operator "${id.slice(0, 80)}"`);
    res.status(204).end();
  });

  router.post(IMPORT_PATH, ...auth, ...importHandlers(options.imports));
  router.post('/lots/:id/history', ...auth, ...historyImportHandlers(options.historyImport));

  router.post('/lots', ...auth, async (req, res) => {
    const lot = await lots.create(principalOf(req), req.body);
    res.status(201).location(`/api/lots/${lot.id}`).json(await views.get(lot.id));
  });

  router.patch('/lots/:id', ...auth, async (req, res) => {
    const lot = await lots.update(principalOf(req), idParam(req, 'lot'), req.body);
    res.json(await views.get(lot.id));
  });

  router.delete('/lots/:id', ...auth, async (req, res) => {
    await lots.remove(principalOf(req), idParam(req, 'lot'));
    res.status(204).end();
  });

  router.get('/lots/:id/audit', ...auth, async (req, res) => {
    res.json({ entries: await lots.auditOf(principalOf(req), idParam(req, 'lot')) });
  });

  router.get('/lots/:id/gateways', ...auth, async (req, res) => {
    res.json({ gateways: (await gateways.ofLot(principalOf(req), idParam(req, 'lot'))).map(withOnline) });
  });

  router.post('/lots/:id/gateways', ...auth, async (req, res) => {
    const { gateway, secret } = await gateways.create(principalOf(req), idParam(req, 'lot'), req.body);
    const answer: NewGatewayAnswer = {
      ...withOnline(gateway),
      secret,
      mqtt: { ...connection(req, gateway.id, gateway.lotIds), password: secret },
      http: { ...httpConnection(req, gateway.id, gateway.lotIds), password: secret },
    };
    res.status(201).json(answer);
  });

  router.post('/gateways/:id/lots', ...auth, async (req, res) => {
    const gateway = await gateways.assign(principalOf(req), idParam(req, 'gateway'), req.body);
    const answer: AssignedGatewayAnswer = { ...withOnline(gateway), mqtt: connection(req, gateway.id, gateway.lotIds), http: httpConnection(req, gateway.id, gateway.lotIds) };
    res.json(answer);
  });

  router.delete('/gateways/:id', ...auth, async (req, res) => {
    await gateways.remove(principalOf(req), idParam(req, 'gateway'));
    res.status(204).end();
  });

  addWebhookRoutes(router, auth, options.webhooks);

  return router;
}

// ---- The description (server/http/openapi/): what the handlers above parse and answer ----

const noContent = { description: 'done; no body' };
const lotErrors = { 403: 'the lot belongs to another operator', 404: 'no such lot' };
const gatewayErrors = { 403: 'the gateway belongs to another operator', 404: 'no such gateway' };

export const operatorRouteDocs: RouteDoc[] = [
  importRouteDoc,
  historyImportRouteDoc,
  ...webhookRouteDocs,
  {
    method: 'get', path: '/me', operationId: 'getMe', tags: ['operators'], auth: 'operator',
    summary: 'The caller, and how its gateways reach the broker',
    responses: { 200: { description: 'the caller', schema: meAnswerSchema } },
  },
  {
    method: 'get', path: '/me/lots', operationId: 'getMyLots', tags: ['operators'], auth: 'operator',
    summary: 'The lots the caller manages (an admin: all), as live views, with their gateways',
    responses: { 200: { description: 'lots and gateways', schema: myLotsAnswerSchema } },
  },
  {
    method: 'post', path: '/operators', operationId: 'createOperator', tags: ['operators'], auth: 'admin',
    summary: 'A new operator; its token is shown once (stored hashed)',
    body: { schema: newOperatorSchema },
    responses: { 201: { description: 'the operator, with its token', schema: newOperatorAnswerSchema } },
    errors: { 400: '', 413: '' },
  },
  {
    method: 'get', path: '/operators', operationId: 'listOperators', tags: ['operators'], auth: 'admin',
    summary: 'Every operator (never a token)',
    responses: { 200: { description: 'the operators', schema: operatorsAnswerSchema } },
  },
  {
    method: 'delete', path: '/operators/{id}', operationId: 'disableOperator', tags: ['operators'], auth: 'admin',
    summary: 'Disable an operator: its token stops working at once', params: idParamsSchema,
    responses: { 204: noContent },
    errors: { 404: 'no such operator' },
  },
  {
    method: 'post', path: '/lots', operationId: 'createLot', tags: ['lots: writes'], auth: 'operator',
    summary: 'A new lot, owned by the caller; the id is made from the name when absent',
    body: { schema: lotCreateSchema },
    responses: {
      201: { description: 'the lot as drivers see it', schema: lotViewSchema, headers: { Location: { description: '/api/lots/{id}' } } },
    },
    errors: { 400: '', 409: 'the id is taken', 413: '' },
  },
  {
    method: 'patch', path: '/lots/{id}', operationId: 'updateLot', tags: ['lots: writes'], auth: 'operator',
    summary: 'Change a lot: only the fields sent (null clears an optional one); the id never changes',
    params: idParamsSchema, body: { schema: lotPatchBodySchema },
    responses: { 200: { description: 'the lot as drivers see it', schema: lotViewSchema } },
    errors: { 400: '', ...lotErrors, 413: '' },
  },
  {
    method: 'delete', path: '/lots/{id}', operationId: 'deleteLot', tags: ['lots: writes'], auth: 'operator',
    summary: 'Delete a lot (its audit trail stays)', params: idParamsSchema,
    responses: { 204: noContent },
    errors: lotErrors,
  },
  {
    method: 'get', path: '/lots/{id}/audit', operationId: 'getLotAudit', tags: ['lots: writes'], auth: 'operator',
    summary: 'Who changed the lot, when, each field from what to what (oldest first)', params: idParamsSchema,
    responses: { 200: { description: 'the audit trail', schema: auditAnswerSchema } },
    errors: lotErrors,
  },
  {
    method: 'get', path: '/lots/{id}/gateways', operationId: 'getLotGateways', tags: ['gateways'], auth: 'operator',
    summary: 'The gateways of a lot', params: idParamsSchema,
    responses: { 200: { description: 'the gateways', schema: gatewaysAnswerSchema } },
    errors: lotErrors,
  },
  {
    method: 'post', path: '/lots/{id}/gateways', operationId: 'createGateway', tags: ['gateways'], auth: 'operator',
    summary: 'A new gateway credential for the lot; the secret is shown once', params: idParamsSchema,
    body: { schema: newGatewaySchema },
    responses: { 201: { description: 'the gateway, its secret and how it connects', schema: newGatewayAnswerSchema } },
    errors: { 400: '', ...lotErrors, 413: '' },
  },
  {
    method: 'post', path: '/gateways/{id}/lots', operationId: 'assignGatewayLot', tags: ['gateways'], auth: 'operator',
    summary: 'Give a gateway one more of the caller\'s lots', params: idParamsSchema,
    body: { schema: assignLotSchema },
    responses: { 200: { description: 'the gateway and its topics', schema: assignedGatewayAnswerSchema } },
    errors: { 400: '', 403: 'the gateway or the lot belongs to another operator', 404: 'no such gateway or lot', 413: '' },
  },
  {
    method: 'delete', path: '/gateways/{id}', operationId: 'deleteGateway', tags: ['gateways'], auth: 'operator',
    summary: 'Revoke a gateway: its connections are closed at once', params: idParamsSchema,
    responses: { 204: noContent },
    errors: gatewayErrors,
  },
];

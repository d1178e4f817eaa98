// The operators' API (DESIGN.md §4): accounts, lot writes, audit, gateway
// credentials. Thin handlers: authenticate, call one use case, answer.
import { Router, type Request } from 'express';
import { newOperatorSchema } from '../domain/principal.ts';
import type { OperatorAccounts } from '../manage/operators.ts';
import type { Catalog } from '../catalog/catalog.ts';
import type { GatewayAdmin, GatewayInfo } from '../manage/gateway-admin.ts';
import type { LotAdmin } from '../manage/lot-admin.ts';
import type { LotImport } from '../manage/lot-import.ts';
import { notFound } from '../domain/errors.ts';
import { gatewayTopics } from '../domain/gateway-topics.ts';
import { INGEST_PATH_PREFIX, ingestPathsOf } from '../domain/http-ingest.ts';
import type { AssignedGatewayAnswer, HttpIngestConnection, MyLotsAnswer, NewGatewayAnswer } from '../domain/operator-api.ts';
import { lotIdSchema } from '../domain/lot.ts';
import type { LotViews } from '../query/lot-views.ts';
import { principalOf, requireAdmin, requireAuth } from './auth.ts';
import { parseOr400 } from './errors.ts';
import { IMPORT_PATH, importHandlers } from './import-routes.ts';
import { FailedAuthentications, writeRateLimit } from './security.ts';

export interface OperatorApiOptions {
  operators: OperatorAccounts;
  lots: LotAdmin;
  /** Bulk lots (POST /api/lots/import). */
  imports: LotImport;
  gateways: GatewayAdmin;
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

  return router;
}

// NGSI-LD (ETSI GS CIM 009) read endpoints over the lots: OffStreetParking
// and ParkingSpot entities of the FIWARE Smart Data Models (mapping in
// domain/feeds/ngsi-ld.ts). Errors are NGSI-LD ProblemDetails, not Kongwei's
// {"error":…}: NGSI-LD clients read those. Thin handlers, like every route.
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { z } from 'zod';
import { describeIssues } from '../domain/errors.ts';
import {
  NGSI_LD_CONTEXT, NGSI_LD_CONTEXT_LINK, isUri, ngsiEntitiesQuerySchema, ngsiEntitySchema, ngsiTypeOf, parseNgsiId, problem,
  problemDetailsSchema, toOffStreetParking, toParkingSpot, wantsKeyValues, type NgsiEntity, type NgsiErrorType, type NgsiType,
} from '../domain/feeds/ngsi-ld.ts';
import { ngsiTemporalQuerySchema, temporalRange, toTemporalOffStreetParking } from '../domain/feeds/ngsi-ld-temporal.ts';
import type { HistoryViews } from '../query/history-views.ts';
import type { LotViews } from '../query/lot-views.ts';
import { baseUrlOf, feedHeaders, feedRequestHeaders, feedResponseHeaders, notModified, sendFeed } from './feeds-routes.ts';
import type { RouteDoc } from './openapi/registry.ts';

const LD_JSON = 'application/ld+json';

function sendProblem(res: Response, type: NgsiErrorType, title: string, detail: string): void {
  const { status, body } = problem(type, title, detail);
  res.status(status).type('application/json').send(JSON.stringify(body));
}

/** Sends entities as the client asked: JSON-LD with @context in the body, or JSON with the context in a Link header. */
function sendEntities(req: Request, res: Response, entities: NgsiEntity | NgsiEntity[]): void {
  res.vary('Accept');
  const accepted = req.accepts(['application/json', LD_JSON]);
  if (!accepted) return sendProblem(res, 'NotAcceptable', 'Not acceptable', 'answers come as application/json or application/ld+json');
  if (accepted === LD_JSON) {
    const withContext = (entity: NgsiEntity) => ({ ...entity, '@context': NGSI_LD_CONTEXT });
    sendFeed(req, res, Array.isArray(entities) ? entities.map(withContext) : withContext(entities), LD_JSON);
  } else {
    res.set('Link', NGSI_LD_CONTEXT_LINK);
    sendFeed(req, res, entities);
  }
}

const temporalListDetail =
  'ask for one entity\'s history: GET /ngsi-ld/v1/temporal/entities/urn:ngsi-ld:OffStreetParking:{lot}?timerel=between&timeAt=…&endTimeAt=…';

export function ngsiLdRouter(views: LotViews, history: HistoryViews): Router {
  const router = Router();
  router.use(feedHeaders);

  /** The entities of the given types (all served types when none), lots first, each in the requested form. */
  const entitiesOf = async (req: Request, types: readonly NgsiType[], keyValues: boolean, lotIds?: readonly string[]): Promise<NgsiEntity[]> => {
    const entities: NgsiEntity[] = [];
    if (types.includes('OffStreetParking')) {
      const lots = lotIds ? (await Promise.all(lotIds.map((id) => views.get(id)))).filter((l) => l !== undefined) : await views.all();
      for (const lot of lots) entities.push(toOffStreetParking(lot, { keyValues, sourceUrl: `${baseUrlOf(req)}/api/lots/${lot.id}` }));
    }
    if (types.includes('ParkingSpot')) {
      for (const { lot, bays } of await views.withBays(lotIds)) for (const bay of bays) entities.push(toParkingSpot(lot, bay, { keyValues }));
    }
    return entities;
  };

  router.get('/entities', async (req, res) => {
    const parsed = ngsiEntitiesQuerySchema.safeParse(req.query);
    if (!parsed.success) return sendProblem(res, 'BadRequestData', 'Invalid query', describeIssues(parsed.error));
    const query = parsed.data;
    if (query.type === undefined && query.id === undefined) {
      return sendProblem(res, 'BadRequestData', 'Type or id required', 'name the entity type (type=OffStreetParking or type=ParkingSpot) or the ids (id=urn:…)');
    }
    const ids = query.id?.split(',').map((id) => id.trim());
    const badId = ids?.find((id) => !isUri(id));
    if (badId !== undefined) return sendProblem(res, 'BadRequestData', 'Invalid id', `"${badId.slice(0, 100)}" is not a URI`);
    const types = query.type === undefined ? (['OffStreetParking', 'ParkingSpot'] as NgsiType[]) : query.type.split(',').map((t) => ngsiTypeOf(t.trim())).filter((t) => t !== undefined);
    let entities = await entitiesOf(req, types, wantsKeyValues(query), ids && [...new Set(ids.map(parseNgsiId).filter((p) => p !== undefined).map((p) => p.lotId))]);
    if (ids) entities = entities.filter((entity) => ids.includes(entity.id));
    if (query.count === 'true') res.set('NGSILD-Results-Count', String(entities.length));
    sendEntities(req, res, entities.slice(query.offset, query.offset + query.limit));
  });

  router.get('/entities/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!isUri(id)) return sendProblem(res, 'BadRequestData', 'Invalid id', `"${id.slice(0, 100)}" is not a URI`);
    const named = parseNgsiId(id);
    // Parsed, not cast: a repeated ?options= is a list, and .split on it was a 500 (found by test/http/fuzz-reads.test.ts).
    const query = entityQuery.safeParse(req.query);
    if (!query.success) return sendProblem(res, 'BadRequestData', 'Invalid query', describeIssues(query.error));
    const keyValues = wantsKeyValues(query.data);
    const found = named ? (await entitiesOf(req, [named.type], keyValues, [named.lotId])).find((entity) => entity.id === id) : undefined;
    if (!found) return sendProblem(res, 'ResourceNotFound', 'Entity not found', `no entity "${id.slice(0, 100)}" here: lots are urn:ngsi-ld:OffStreetParking:{lot}, bays urn:ngsi-ld:ParkingSpot:{lot}:{space}`);
    sendEntities(req, res, found);
  });

  router.get('/temporal/entities', (_req, res) => sendProblem(res, 'OperationNotSupported', 'Query one entity', temporalListDetail));
  router.get('/temporal/entities/:id', async (req, res) => {
    const id = String(req.params.id);
    if (!isUri(id)) return sendProblem(res, 'BadRequestData', 'Invalid id', `"${id.slice(0, 100)}" is not a URI`);
    const named = parseNgsiId(id);
    if (named?.type === 'ParkingSpot') return sendProblem(res, 'OperationNotSupported', 'No history of bays', 'history is kept per lot: ask for urn:ngsi-ld:OffStreetParking:{lot}');
    const parsed = ngsiTemporalQuerySchema.safeParse(req.query);
    if (!parsed.success) return sendProblem(res, 'BadRequestData', 'Invalid query', describeIssues(parsed.error));
    const range = temporalRange(parsed.data);
    if (typeof range === 'string') return sendProblem(res, 'BadRequestData', 'Invalid query', range);
    const answer = named ? await history.lotHistory(named.lotId, { from: range.from, to: range.to, step: range.step }).catch(() => undefined) : undefined;
    if (!answer) return sendProblem(res, 'ResourceNotFound', 'Entity not found', `no entity "${id.slice(0, 100)}" with history here`);
    sendEntities(req, res, toTemporalOffStreetParking(named!.lotId, answer.points, range.attrs, parsed.data.options === 'temporalValues') as NgsiEntity);
  });

  router.use((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.set('Allow', 'GET, HEAD, OPTIONS');
      return sendProblem(res, 'OperationNotSupported', 'Read-only', `${req.method} is not supported: this NGSI-LD endpoint only reads`);
    }
    sendProblem(res, 'ResourceNotFound', 'No such endpoint', `no NGSI-LD endpoint ${req.path.slice(0, 100)} here: GET /ngsi-ld/v1/entities and /ngsi-ld/v1/entities/{id}`);
  });
  // A request Express could not take (a path that is not percent-encoded UTF-8…) is still
  // answered as NGSI-LD answers: a ProblemDetails (found by test/http/fuzz-reads.test.ts).
  router.use(((err, _req, res, next) => {
    const status = (err as { status?: unknown } | null)?.status;
    if (res.headersSent || (!(err instanceof URIError) && !(typeof status === 'number' && status >= 400 && status < 500))) return next(err);
    sendProblem(res, 'BadRequestData', 'Invalid request', err instanceof URIError ? 'the request path is not valid percent-encoded UTF-8' : 'the request could not be read');
  }) as ErrorRequestHandler);
  return router;
}

// ---- The description (server/http/openapi/) ----

const problemAnswer = (description: string) => ({ description, schema: problemDetailsSchema });
const entitiesAnswer = (schema: z.ZodType) => ({
  description: 'normalized entities (or key-values with options=keyValues); JSON with the @context in a Link header, or JSON-LD for Accept: application/ld+json',
  schema,
  alternatives: [{ contentType: LD_JSON, schema }],
  headers: { ...feedResponseHeaders, Link: { description: 'the @context of an application/json answer (JSON-LD carries it in the body)' } },
});
const entityParams = z.object({ id: z.string().describe('urn:ngsi-ld:OffStreetParking:{lot} or urn:ngsi-ld:ParkingSpot:{lot}:{space}') });
const entityQuery = z.object({
  options: z.string().optional().describe('keyValues: attributes as plain values'),
  format: z.enum(['normalized', 'keyValues', 'simplified']).optional(),
});

export const ngsiLdRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/entities', operationId: 'ngsiLdEntities', tags: ['feeds: NGSI-LD'],
    summary: 'NGSI-LD: OffStreetParking (one per lot) and ParkingSpot (one per bay of lots with bay sensors) entities',
    description:
      'Live attributes (availableSpotNumber, occupiedSpotNumber, status) carry observedAt. No number for stale data: ' +
      'availableSpotNumber is left out; a lot that is not open has status ["closed"] and 0 available. Paged by limit (default 20, at most 1000) and offset; count=true adds NGSILD-Results-Count.',
    query: ngsiEntitiesQuerySchema,
    headers: { ...feedRequestHeaders, Accept: { description: 'application/json (default) or application/ld+json' } },
    responses: {
      200: entitiesAnswer(z.array(ngsiEntitySchema)),
      304: notModified,
      400: problemAnswer('BadRequestData: no type and no id, a bad parameter, or an id that is not a URI'),
      406: problemAnswer('NotAcceptable: Accept allows neither application/json nor application/ld+json'),
    },
  },
  {
    method: 'get', path: '/entities/{id}', operationId: 'ngsiLdEntity', tags: ['feeds: NGSI-LD'],
    summary: 'NGSI-LD: one entity',
    params: entityParams, query: entityQuery,
    headers: { ...feedRequestHeaders, Accept: { description: 'application/json (default) or application/ld+json' } },
    responses: {
      200: entitiesAnswer(ngsiEntitySchema),
      304: notModified,
      400: problemAnswer('BadRequestData: the id is not a URI, or a bad option (format not one of its values, a parameter given twice)'),
      404: problemAnswer('ResourceNotFound: no such entity'),
      406: problemAnswer('NotAcceptable'),
    },
  },
  {
    method: 'get', path: '/temporal/entities', operationId: 'ngsiLdTemporalEntities', tags: ['feeds: NGSI-LD'],
    summary: 'NGSI-LD temporal query over many entities: not supported — ask for one entity',
    responses: { 501: problemAnswer(`OperationNotSupported: ${temporalListDetail}`) },
  },
  {
    method: 'get', path: '/temporal/entities/{id}', operationId: 'ngsiLdTemporalEntity', tags: ['feeds: NGSI-LD'],
    summary: 'NGSI-LD temporal view of a lot (OffStreetParking): availableSpotNumber and occupiedSpotNumber from its history',
    description:
      'One instance per aggrPeriodDuration (default PT1H): the mean over the time the lot had live data, observedAt the period\'s start; ' +
      'a period with nothing known has no instance. options=temporalValues gives {"values":[[value, observedAt]…]}. Bays (ParkingSpot) have no history.',
    params: entityParams, query: ngsiTemporalQuerySchema,
    headers: { ...feedRequestHeaders, Accept: { description: 'application/json (default) or application/ld+json' } },
    responses: {
      200: {
        ...entitiesAnswer(z.record(z.string(), z.unknown())),
        description: 'the entity\'s temporal representation; JSON with the @context in a Link header, or JSON-LD for Accept: application/ld+json',
      },
      304: notModified,
      400: problemAnswer('BadRequestData: a bad timerel, time, attrs or period, or a range too long for the period'),
      404: problemAnswer('ResourceNotFound: no such lot'),
      406: problemAnswer('NotAcceptable'),
      501: problemAnswer('OperationNotSupported: a ParkingSpot (bays have no history)'),
    },
  },
];

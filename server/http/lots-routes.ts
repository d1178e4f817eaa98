// The drivers' read API: thin handlers that parse, call one function, answer.
// Lots come as {"lots":[…]} or, from /api/lots.geojson or for a client that
// asks for application/geo+json, as a GeoJSON FeatureCollection.
import { Router, type Request, type Response } from 'express';
import { idParamsSchema, lotFeatureCollectionSchema, lotFeatureSchema, lotsAnswerSchema, lotViewSchema } from '../domain/api-answers.ts';
import { notFound } from '../domain/errors.ts';
import { lotIdSchema } from '../domain/lot.ts';
import { lotSearchQuerySchema } from '../domain/search.ts';
import { GEOJSON_MEDIA_TYPE, toFeature, toFeatureCollection } from '../query/geojson.ts';
import type { LotViews } from '../query/lot-views.ts';
import { parseOr400 } from './errors.ts';
import type { RouteDoc } from './openapi/registry.ts';

/** Whether the client prefers GeoJSON to plain JSON (plain JSON when it does not say). */
function wantsGeoJson(req: Request, res: Response): boolean {
  res.vary('Accept');
  return req.accepts(['application/json', GEOJSON_MEDIA_TYPE]) === GEOJSON_MEDIA_TYPE;
}

function sendGeoJson(res: Response, body: object): void {
  res.type(GEOJSON_MEDIA_TYPE).send(JSON.stringify(body));
}

export function lotsRouter(views: LotViews): Router {
  const router = Router();

  router.get('/lots.geojson', async (req, res) => {
    const search = parseOr400(lotSearchQuerySchema, req.query, 'query');
    sendGeoJson(res, toFeatureCollection(await views.search(search)));
  });

  router.get('/lots', async (req, res) => {
    const search = parseOr400(lotSearchQuerySchema, req.query, 'query');
    const lots = await views.search(search);
    if (wantsGeoJson(req, res)) sendGeoJson(res, toFeatureCollection(lots));
    else res.json({ lots });
  });

  router.get('/lots/:id', async (req, res) => {
    const id = lotIdSchema.safeParse(req.params.id);
    const lot = id.success ? await views.get(id.data) : undefined;
    if (!lot) throw notFound(`lot "${String(req.params.id).slice(0, 80)}"`);
    if (wantsGeoJson(req, res)) sendGeoJson(res, toFeature(lot));
    else res.json(lot);
  });

  return router;
}

// ---- The description (server/http/openapi/): what the handlers above parse and answer ----

const searchDescription =
  'near=lat,lon sorts by distance (each lot with distanceM); radius (m, at most 100 km) needs near; bbox=minLon,minLat,maxLon,maxLat; ' +
  'minFree keeps open lots with fresh data and at least n free spaces; type and features are comma-separated lists. ' +
  'arriveAt=ISO (within 24 h) adds to each lot `forecast: {at, free, low, high}` for that time — a forecast, not a live count — and minFree then filters on the forecast\'s free spaces. ' +
  'q finds lots by Chinese or English name, pinyin (full, initials or both: nfl finds 南丰路) or address, best match first.';

const searchNotes = {
  near: 'lat,lon: sort by distance from here (each lot gets distanceM)',
  radius: 'metres around near (needs near; at most 100000)',
  bbox: 'minLon,minLat,maxLon,maxLat',
  minFree: 'only open lots with fresh data and at least this many free spaces (with arriveAt: forecast free spaces)',
  arriveAt: 'ISO 8601, within the next 24 h: each lot gets the forecast for then',
  type: 'any of surface, multi_storey, underground, on_street (comma-separated)',
  features: 'every one of ev, disabled, family, women (comma-separated): lots with at least one such space',
  q: 'text to find (at most 100 characters): the Chinese or English name, pinyin without tones (full, initials or mixed, as far as typed: nfl, nanfenglu, nanfl), or the address; best match first (exact, then prefix, then from a word, then inside; names before addresses), ties nearest first with near',
  limit: 'at most this many lots (default 1000, at most 10000)',
};

export const lotsRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/lots', operationId: 'searchLots', tags: ['lots'],
    summary: 'Lots as drivers see them, with live counts', description: searchDescription,
    query: lotSearchQuerySchema, parameterNotes: searchNotes,
    responses: {
      200: {
        description: '{"lots":[…]}; a GeoJSON FeatureCollection for a client whose Accept prefers application/geo+json',
        schema: lotsAnswerSchema,
        alternatives: [{ contentType: GEOJSON_MEDIA_TYPE, schema: lotFeatureCollectionSchema }],
      },
    },
    errors: { 400: 'a bad search parameter, named in details.fields' },
  },
  {
    method: 'get', path: '/lots.geojson', operationId: 'searchLotsGeoJson', tags: ['lots'],
    summary: 'The same search as GeoJSON (RFC 7946): Point features, coordinates [lon, lat]', description: searchDescription,
    query: lotSearchQuerySchema, parameterNotes: searchNotes,
    responses: { 200: { description: 'a FeatureCollection', schema: lotFeatureCollectionSchema, contentType: GEOJSON_MEDIA_TYPE } },
    errors: { 400: 'a bad search parameter, named in details.fields' },
  },
  {
    method: 'get', path: '/lots/{id}', operationId: 'getLot', tags: ['lots'],
    summary: 'One lot', params: idParamsSchema,
    responses: {
      200: {
        description: 'the lot; a GeoJSON Feature for Accept: application/geo+json',
        schema: lotViewSchema,
        alternatives: [{ contentType: GEOJSON_MEDIA_TYPE, schema: lotFeatureSchema }],
      },
    },
    errors: { 404: 'no such lot' },
  },
];

// The drivers' read API: thin handlers that parse, call one function, answer.
// Lots come as {"lots":[…]} or, from /api/lots.geojson or for a client that
// asks for application/geo+json, as a GeoJSON FeatureCollection.
import { Router, type Request, type Response } from 'express';
import { notFound } from '../domain/errors.ts';
import { lotIdSchema } from '../domain/lot.ts';
import { lotSearchQuerySchema } from '../domain/search.ts';
import { GEOJSON_MEDIA_TYPE, toFeature, toFeatureCollection } from '../query/geojson.ts';
import type { LotViews } from '../query/lot-views.ts';
import { parseOr400 } from './errors.ts';

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

// Forecasts over HTTP (DESIGN.md §4): a lot's expected occupancy and free
// spaces ahead, with an 80 % interval, as made at asOf (default now).
import { Router } from 'express';
import { forecastAnswerSchema, idParamsSchema } from '../domain/api-answers.ts';
import { notFound } from '../domain/errors.ts';
import { forecastQuerySchema } from '../domain/forecast.ts';
import { lotIdSchema } from '../domain/lot.ts';
import type { ForecastViews } from '../query/forecast-views.ts';
import { parseOr400 } from './errors.ts';
import type { RouteDoc } from './openapi/registry.ts';

export function forecastRouter(forecasts: ForecastViews): Router {
  const router = Router();
  router.get('/lots/:id/forecast', async (req, res) => {
    const id = lotIdSchema.safeParse(req.params.id);
    const query = parseOr400(forecastQuerySchema, req.query, 'query');
    const answer = id.success ? await forecasts.lotForecast(id.data, query) : undefined;
    if (!answer) throw notFound(`lot "${String(req.params.id).slice(0, 80)}"`);
    // A forecast changes when a new 5-minute bucket ends: a minute of caching costs nothing.
    res.set('Cache-Control', 'public, max-age=60').json(answer);
  });
  return router;
}

export const forecastRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/lots/{id}/forecast', operationId: 'getLotForecast', tags: ['history'],
    summary: 'A lot’s forecast: expected occupancy and free spaces, with an 80 % interval',
    description:
      'Points from `from` (default asOf) to `to` (default 24 h later, at most 7 days after asOf) every `step`. `asOf` (default now) gives the forecast as it would have been made then, from only the data observed before it, so any forecast can be checked against what happened. ' +
      'All numbers are within 0…capacity; a lot with too little history gets nulls and a `reason`, never a number from nothing. A forecast is not a live count: it has no `availability` and no `updatedAt`.',
    params: idParamsSchema, query: forecastQuerySchema,
    responses: { 200: { description: 'the forecast', schema: forecastAnswerSchema } },
    errors: { 400: 'a bad parameter, named in details.fields (from before asOf, asOf in the future, more than 7 days ahead, …)', 404: 'no such lot' },
  },
];

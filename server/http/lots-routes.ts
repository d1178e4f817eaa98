// The drivers' read API: thin handlers that parse, call one function, answer.
import { Router } from 'express';
import { notFound } from '../domain/errors.ts';
import { lotIdSchema } from '../domain/lot.ts';
import { lotSearchQuerySchema } from '../domain/search.ts';
import type { LotViews } from '../query/lot-views.ts';
import { parseOr400 } from './errors.ts';

export function lotsRouter(views: LotViews): Router {
  const router = Router();

  router.get('/lots', async (req, res) => {
    const search = parseOr400(lotSearchQuerySchema, req.query, 'query');
    res.json({ lots: await views.search(search) });
  });

  router.get('/lots/:id', async (req, res) => {
    const id = lotIdSchema.safeParse(req.params.id);
    const lot = id.success ? await views.get(id.data) : undefined;
    if (!lot) throw notFound(`lot "${String(req.params.id).slice(0, 80)}"`);
    res.json(lot);
  });

  return router;
}

// History over HTTP (DESIGN.md §4): one lot's points, and every lot's at
// once for the open-data dumps — JSON, or CSV for `Accept: text/csv`,
// `format=csv` or a `.csv` path. The dumps are streamed lot by lot.
import { Router, type Request, type Response } from 'express';
import { stringify } from 'csv-stringify/sync';
import type { Catalog } from '../catalog/catalog.ts';
import { historyAnswerSchema, idParamsSchema } from '../domain/api-answers.ts';
import { notFound } from '../domain/errors.ts';
import { HISTORY_CSV_COLUMNS, historyDumpQuerySchema, historyQuerySchema, type HistoryPoint } from '../domain/history.ts';
import { inBBox } from '../domain/geo.ts';
import { lotIdSchema, type LotMeta } from '../domain/lot.ts';
import { matchesMeta } from '../domain/search.ts';
import type { HistoryAnswer, HistoryViews } from '../query/history-views.ts';
import { parseOr400 } from './errors.ts';
import type { RouteDoc } from './openapi/registry.ts';
import { z } from 'zod';

const CSV = 'text/csv';

function wantsCsv(req: Request, res: Response, format: string | undefined, path: string): boolean {
  res.vary('Accept');
  if (format) return format === 'csv';
  if (path.endsWith('.csv')) return true;
  return req.accepts(['application/json', CSV]) === CSV;
}

const csvRows = (answer: HistoryAnswer) =>
  stringify(answer.points.map((p: HistoryPoint) => [answer.lotId, p.at, p.occupied, p.occupiedMin, p.occupiedMax, p.free, p.capacity, p.knownS]));

export function historyRouter(options: { history: HistoryViews; catalog: Catalog }): Router {
  const router = Router();
  const { history, catalog } = options;

  const lotHistory = async (req: Request, res: Response) => {
    const id = lotIdSchema.safeParse(req.params.id);
    if (!id.success || !catalog.get(id.data)) throw notFound(`lot "${String(req.params.id).slice(0, 80)}"`);
    const query = parseOr400(historyQuerySchema, req.query, 'query');
    const answer = (await history.lotHistory(id.data, query))!;
    if (wantsCsv(req, res, query.format, req.path)) {
      res.type(CSV).attachment(`${answer.lotId}-history.csv`).send(stringify([[...HISTORY_CSV_COLUMNS]]) + csvRows(answer));
    } else res.json(answer);
  };
  router.get('/lots/:id/history', lotHistory);
  router.get('/lots/:id/history.csv', lotHistory);

  const dump = async (req: Request, res: Response) => {
    const query = parseOr400(historyDumpQuerySchema, req.query, 'query');
    const filters = { ...(query.type ? { types: query.type as LotMeta['type'][] } : {}), ...(query.features ? { features: query.features as never } : {}) };
    const lots = [...catalog.all()].filter((lot) => matchesMeta(lot, filters) && (!query.bbox || inBBox(lot, query.bbox as never)));
    const answers = history.allHistory(query, lots);
    // The first lot is read before anything is sent: a bad range is still a clean 400.
    const first = await answers.next();
    const csv = wantsCsv(req, res, query.format, req.path);
    res.status(200).type(csv ? CSV : 'application/json');
    if (csv) res.attachment('history.csv');
    const write = (chunk: string) => (res.write(chunk) ? Promise.resolve() : new Promise<void>((resolve) => res.once('drain', resolve)));
    const head = { from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), step: query.step };
    await write(csv ? stringify([[...HISTORY_CSV_COLUMNS]]) : `${JSON.stringify(head).slice(0, -1)},"lots":[`);
    let n = 0;
    for (let next = first; !next.done; next = await answers.next()) {
      if (res.destroyed) return;
      const answer = next.value;
      await write(csv ? csvRows(answer) : `${n++ ? ',' : ''}${JSON.stringify({ lotId: answer.lotId, points: answer.points })}`);
    }
    res.end(csv ? '' : ']}');
  };
  router.get('/history', dump);
  router.get('/history.csv', dump);
  return router;
}

// ---- The description (server/http/openapi/) ----

const dumpAnswerSchema = z.object({
  from: z.string(),
  to: z.string(),
  step: historyAnswerSchema.shape.step,
  lots: z.array(z.object({ lotId: z.string(), points: historyAnswerSchema.shape.points })),
});

const csvAlternative = { contentType: CSV, schema: z.string().describe(`CSV with the columns ${HISTORY_CSV_COLUMNS.join(',')}`) };
const historyErrors = { 400: 'a bad parameter, named in details.fields: a range longer than the step allows, to before from, a 5-minute step past HISTORY_RETENTION_DAYS', 404: 'no such lot' };
const lotHistoryDoc = (path: string, operationId: string): RouteDoc => ({
  method: 'get', path, operationId, tags: ['history'],
  summary: 'A lot’s occupancy history in steps, by sensor time',
  description:
    'Points per step (5m, 15m, 30m, 1h, 1d; steps of an hour and longer start on the local clock of TIME_ZONE): the mean vehicles over the time the lot had live data, min, max, mean free spaces, capacity and the seconds known. ' +
    '`occupied` is null where nothing was known (stale, gateway offline, closed, or no data): a gap, not a zero. The current step includes the value since the last sign of life. Ranges: 5m up to 7 days, 15m 31, 30m 62, 1h 366, 1d 3660.',
  params: idParamsSchema, query: historyQuerySchema,
  responses: { 200: { description: 'the points; CSV for Accept: text/csv, format=csv or the .csv path', schema: historyAnswerSchema, alternatives: [csvAlternative] } },
  errors: historyErrors,
});

export const historyRouteDocs: RouteDoc[] = [
  lotHistoryDoc('/lots/{id}/history', 'getLotHistory'),
  lotHistoryDoc('/lots/{id}/history.csv', 'getLotHistoryCsv'),
  ...(['/history', '/history.csv'] as const).map((path, i): RouteDoc => ({
    method: 'get', path, operationId: i ? 'dumpHistoryCsv' : 'dumpHistory', tags: ['history'],
    summary: 'Every lot’s history at once (open-data dumps), streamed',
    description: 'The same points as a lot’s history, for every lot that passes the filters (bbox, type, features), in lot id order; CSV has one row per lot and step.',
    query: historyDumpQuerySchema,
    responses: { 200: { description: '{"from","to","step","lots":[{"lotId","points"}]}; CSV for Accept: text/csv, format=csv or the .csv path', schema: dumpAnswerSchema, alternatives: [csvAlternative] } },
    errors: { 400: historyErrors[400] },
  })),
];

// POST /api/lots/import (DESIGN.md §4, "Bulk lots"): lots from a JSON, CSV
// or GeoJSON body, by its Content-Type; `?dryRun=true` checks and reports
// without storing. A thin handler: parse the body, call the import, answer.
import express, { type RequestHandler } from 'express';
import { localizedError } from '../domain/errors.ts';
import { lotImportAnswerSchema, lotImportJsonSchema, lotImportQuerySchema, MAX_IMPORT_BYTES } from '../domain/lot-import.ts';
import { text } from '../domain/messages.ts';
import { formatOfMediaType } from '../manage/lot-files.ts';
import type { LotImport } from '../manage/lot-import.ts';
import { principalOf } from './auth.ts';
import { parseOr400 } from './errors.ts';
import type { RouteDoc } from './openapi/registry.ts';

/** The import route's path under /api; the service's own JSON parser (100 KB) leaves it alone, as this one takes files. */
export const IMPORT_PATH = '/lots/import';

/** The body parsers and the handler of POST /api/lots/import (after the operators' authentication). */
export function importHandlers(imports: LotImport): RequestHandler[] {
  return [
    express.text({ type: ['text/csv', 'application/csv'], limit: MAX_IMPORT_BYTES }),
    express.json({ type: ['application/json', 'application/geo+json'], limit: MAX_IMPORT_BYTES }),
    async (req, res) => {
      const format = formatOfMediaType(req.get('content-type'));
      if (!format) {
        throw localizedError(
          'unsupported_media_type',
          text(
            'send the lots as application/json ({"lots":[…]}), text/csv (a header of field names) or application/geo+json (a FeatureCollection)',
            '请以 application/json（{"lots":[…]}）、text/csv（首行为字段名）或 application/geo+json（FeatureCollection）发送停车场',
          ),
        );
      }
      const { dryRun } = parseOr400(lotImportQuerySchema, req.query, 'query');
      res.json(await imports.run(principalOf(req), format, req.body, { dryRun }));
    },
  ];
}

/** The description of POST /api/lots/import (part of the operators' routes). */
export const importRouteDoc: RouteDoc = {
  method: 'post', path: IMPORT_PATH, operationId: 'importLots', tags: ['lots'], auth: 'operator',
  summary: 'Import many lots at once: JSON {"lots":[…]}, CSV (a header of field names) or a GeoJSON FeatureCollection',
  description:
    'All or nothing, in one transaction: a file with one bad row stores nothing and names each bad row (CSV by line, JSON as `lots[i]`, ' +
    'GeoJSON as `features[i]`) and field. Idempotent by id: importing the same file again changes nothing. `?dryRun=true` reports what ' +
    'would change and stores nothing. An operator imports into its own lots only; an admin into any. Also as text/csv and application/geo+json.',
  query: lotImportQuerySchema,
  body: { schema: lotImportJsonSchema, description: 'or text/csv, or application/geo+json (a FeatureCollection of Points, coordinates [lon, lat])' },
  responses: { 200: { description: 'what was (or, with dryRun, would be) created, updated or left unchanged', schema: lotImportAnswerSchema } },
  errors: { 400: '', 403: 'a row names another operator\'s lot (`forbidden`)', 413: '', 415: 'a body that is not JSON, CSV or GeoJSON (`unsupported_media_type`)' },
};

// POST /api/lots/import (DESIGN.md §4, "Bulk lots"): lots from a JSON, CSV
// or GeoJSON body, by its Content-Type; `?dryRun=true` checks and reports
// without storing. A thin handler: parse the body, call the import, answer.
import express, { type RequestHandler } from 'express';
import { localizedError } from '../domain/errors.ts';
import { lotImportAnswerSchema, lotImportJsonSchema, lotImportQuerySchema, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS } from '../domain/lot-import.ts';
import { text } from '../domain/messages.ts';
import { formatOfMediaType } from '../manage/lot-files.ts';
import type { HistoryImport } from '../manage/history-import.ts';
import type { LotImport } from '../manage/lot-import.ts';
import { z } from 'zod';
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

/** The import body as CSV (text/csv or application/csv), for the description: the rows are read by domain/lot-import.ts. */
const lotImportCsvSchema = z
  .string()
  .describe('CSV, UTF-8 (a byte-order mark and CRLF lines are fine): a header of field names (those of POST /api/lots, `id` optional), then one lot per line; an empty cell clears an optional field');

/** The import body as GeoJSON (application/geo+json), for the description: a FeatureCollection of Points, read by domain/lot-import.ts. */
const lotImportGeoJsonSchema = z.object({
  type: z.literal('FeatureCollection'),
  features: z
    .array(
      z.object({
        type: z.literal('Feature'),
        id: z.string().optional().describe('the lot id (or properties.id); left out: made from the name'),
        geometry: z.object({ type: z.literal('Point'), coordinates: z.array(z.number()).min(2).max(3).describe('[lon, lat], as GeoJSON has it') }),
        properties: z.record(z.string(), z.unknown()).nullable().optional().describe('the other fields, as POST /api/lots takes them (the live fields of GET /api/lots.geojson are ignored)'),
      }),
    )
    .max(MAX_IMPORT_ROWS),
});

/** The description of POST /api/lots/import (part of the operators' routes). */
export const importRouteDoc: RouteDoc = {
  method: 'post', path: IMPORT_PATH, operationId: 'importLots', tags: ['lots'], auth: 'operator',
  summary: 'Import many lots at once: JSON {"lots":[…]}, CSV (a header of field names) or a GeoJSON FeatureCollection',
  description:
    'All or nothing, in one transaction: a file with one bad row stores nothing and names each bad row (CSV by line, JSON as `lots[i]`, ' +
    'GeoJSON as `features[i]`) and field. Idempotent by id: importing the same file again changes nothing. `?dryRun=true` reports what ' +
    'would change and stores nothing. An operator imports into its own lots only; an admin into any.',
  query: lotImportQuerySchema,
  body: {
    schema: lotImportJsonSchema,
    description: 'the lots, by the Content-Type: application/json, text/csv (or application/csv), or application/geo+json (a FeatureCollection of Points, coordinates [lon, lat])',
    alternatives: [
      { contentType: 'text/csv', schema: lotImportCsvSchema },
      { contentType: 'application/csv', schema: lotImportCsvSchema },
      { contentType: 'application/geo+json', schema: lotImportGeoJsonSchema },
    ],
  },
  responses: { 200: { description: 'what was (or, with dryRun, would be) created, updated or left unchanged', schema: lotImportAnswerSchema } },
  errors: { 400: '', 403: 'a row names another operator\'s lot (`forbidden`)', 413: '', 415: 'a body that is not JSON, CSV or GeoJSON (`unsupported_media_type`)' },
};

/** The largest history file POST /api/lots/{id}/history takes (about 1.5 million lines). */
export const MAX_HISTORY_IMPORT_BYTES = 64 * 1024 * 1024;

/** The body parser and handler of POST /api/lots/{id}/history: a lot's owner imports its older history (CSV). */
export function historyImportHandlers(imports: HistoryImport): RequestHandler[] {
  return [
    express.text({ type: ['text/csv', 'application/csv'], limit: MAX_HISTORY_IMPORT_BYTES }),
    async (req, res) => {
      if (typeof req.body !== 'string') {
        throw localizedError('unsupported_media_type', text('send the history as text/csv: lot,at,occupied[,capacity]', '请以 text/csv 发送历史：lot,at,occupied[,capacity]'));
      }
      res.json(await imports.run(principalOf(req), req.body, { onlyLot: String(req.params.id) }));
    },
  ];
}

export const historyImportAnswerSchema = z.object({
  samples: z.number().int().min(0),
  lots: z.array(z.object({ lotId: z.string(), written: z.number().int().min(0), alreadyRecorded: z.number().int().min(0) })),
});

export const historyImportRouteDoc: RouteDoc = {
  method: 'post', path: '/lots/{id}/history', operationId: 'importLotHistory', tags: ['history'], auth: 'operator',
  summary: 'Import a lot’s older history (migrating from another system): CSV lot,at,occupied[,capacity]',
  description:
    'All or nothing: a file with one bad line imports nothing and names each bad line. Each sample holds until the next one or the lot’s stale threshold; ' +
    'the 5-minute buckets are written only where nothing is recorded yet, so importing twice, or over recorded time, never counts twice. Every line must be this lot’s; its owner or an admin only.',
  params: z.object({ id: z.string().describe('the lot id') }),
  body: { schema: z.string(), contentType: 'text/csv', description: 'lot,at,occupied[,capacity] with at in ISO 8601 with an offset' },
  responses: { 200: { description: 'how many buckets were written per lot, and how many were already recorded', schema: historyImportAnswerSchema } },
  errors: { 400: 'bad lines, each named (details.lines)', 403: 'the lot belongs to another operator', 404: 'no such lot', 413: '', 415: 'a body that is not text/csv' },
};

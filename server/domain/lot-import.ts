// Bulk lots (DESIGN.md §4, "Bulk lots"): the rows of an import file — JSON
// `{"lots":[…]}`, CSV, or a GeoJSON FeatureCollection — as lot inputs, each
// named by where it stands in the file (`line 5`, `lots[3]`, `features[2]`),
// and lots back as CSV records and GeoJSON features for the export. The CSV
// text itself is read and written by csv-parse / csv-stringify (manage/), not
// here: this module turns cells into values and back. The request and answer
// schemas are named here for the API description. Pure.
import { z } from 'zod';
import { AppError, inLocale, summarize, type FieldTexts, type Locale } from './errors.ts';
import type { FieldChange } from './lot-input.ts';
import { lotMetaSchema, type LotMeta, type LotView } from './lot.ts';
import { text, type Text } from './messages.ts';

/** The most rows one import may hold. */
export const MAX_IMPORT_ROWS = 10_000;
/** The most bytes one import request may carry. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

/** A lot's fields in the order of a CSV file's columns (the catalog's schema, id first). */
export const LOT_COLUMNS = Object.keys(lotMetaSchema.shape) as (keyof LotMeta)[];

/**
 * Fields of a lot as the read API shows it (GET /api/lots, /api/lots.geojson)
 * that are live state, not metadata: ignored in an import, so a saved answer
 * of the read API imports as it is.
 */
export const LIVE_ONLY_FIELDS = [
  'free', 'occupied', 'availability', 'stale', 'updatedAt', 'heardAt', 'clamped', 'distanceM', 'openNow', 'opensAt', 'closesAt', 'forecast',
  'freeCharging', 'freeDisabled', 'freeFamily', 'freeWomen',
] as const satisfies readonly Exclude<keyof LotView, keyof LotMeta>[];
// Every field the read API adds to a lot's metadata is listed: one added to LotView and not here fails to compile.
type Unlisted = Exclude<Exclude<keyof LotView, keyof LotMeta>, (typeof LIVE_ONLY_FIELDS)[number]>;
export const everyViewFieldListed: [Unlisted] extends [never] ? true : Unlisted = true;

const NUMBER_FIELDS = new Set<string>(['lat', 'lon', 'capacity', 'capacityDisabled', 'capacityCharging', 'capacityFamily', 'capacityWomen', 'maxHeightCm', 'staleAfterS']);
const BOOLEAN_FIELDS = new Set<string>(['fee']);
const TRUE_WORDS = new Set(['true', 'yes', '1', '是']);
const FALSE_WORDS = new Set(['false', 'no', '0', '否']);

/** One row of an import: where it is in the file, and its fields as sent (an absent field stays as it is on an update). */
export interface ImportRow {
  at: string;
  fields: Record<string, unknown>;
}

/** What is wrong with one row (or with the file, at `file` / `line 1` for a CSV header), by field. */
export interface RowProblem {
  at: string;
  id?: string;
  fields: FieldTexts;
}

export type ImportRows = { ok: true; rows: ImportRow[] } | { ok: false; problems: RowProblem[] };

export type ImportFormat = 'json' | 'csv' | 'geojson';

const tooMany = (count: number): RowProblem => ({
  at: 'file',
  fields: { '': [text(`holds ${count} lots; an import takes at most ${MAX_IMPORT_ROWS}`, `含 ${count} 个停车场；一次最多导入 ${MAX_IMPORT_ROWS} 个`)] },
});

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function withoutLiveFields(fields: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...fields };
  for (const field of LIVE_ONLY_FIELDS) delete copy[field];
  return copy;
}

/** `{"lots":[…]}` (each element a lot, as POST /api/lots takes it), or a GeoJSON FeatureCollection sent as JSON. */
export function rowsFromJson(body: unknown): ImportRows {
  if (isObject(body) && body.type === 'FeatureCollection') return rowsFromGeoJson(body);
  if (!isObject(body) || !Array.isArray(body.lots)) {
    return { ok: false, problems: [{ at: 'file', fields: { lots: [text('must be an array of lots: {"lots":[…]}', '应为停车场数组：{"lots":[…]}')] } }] };
  }
  const extra = Object.keys(body).filter((key) => key !== 'lots');
  if (extra.length > 0) return { ok: false, problems: [{ at: 'file', fields: Object.fromEntries(extra.map((k) => [k, [text('is not a field of an import', '不是导入的字段')]])) }] };
  if (body.lots.length > MAX_IMPORT_ROWS) return { ok: false, problems: [tooMany(body.lots.length)] };
  const problems: RowProblem[] = [];
  const rows: ImportRow[] = [];
  body.lots.forEach((lot: unknown, index) => {
    const at = `lots[${index}]`;
    if (isObject(lot)) rows.push({ at, fields: withoutLiveFields(lot) });
    else problems.push({ at, fields: { '': [text('must be an object (a lot)', '应为对象（一个停车场）')] } });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows };
}

const POINT = text('must be a Point with coordinates [lon, lat]', '应为 Point，坐标为 [经度, 纬度]');

/** A GeoJSON FeatureCollection of Points: coordinates [lon, lat], the other fields in `properties`, the id in `id` (or `properties.id`). */
export function rowsFromGeoJson(body: unknown): ImportRows {
  if (!isObject(body) || body.type !== 'FeatureCollection' || !Array.isArray(body.features)) {
    return { ok: false, problems: [{ at: 'file', fields: { type: [text('must be a GeoJSON FeatureCollection', '应为 GeoJSON FeatureCollection')] } }] };
  }
  if (body.features.length > MAX_IMPORT_ROWS) return { ok: false, problems: [tooMany(body.features.length)] };
  const problems: RowProblem[] = [];
  const rows: ImportRow[] = [];
  body.features.forEach((feature: unknown, index) => {
    const at = `features[${index}]`;
    const fields: FieldTexts = {};
    if (!isObject(feature) || feature.type !== 'Feature') {
      problems.push({ at, fields: { type: [text('must be a Feature', '应为 Feature')] } });
      return;
    }
    const properties = isObject(feature.properties) ? withoutLiveFields(feature.properties) : {};
    if (feature.properties !== undefined && feature.properties !== null && !isObject(feature.properties)) fields.properties = [text('must be an object', '应为对象')];
    const geometry = feature.geometry;
    const coordinates = isObject(geometry) && geometry.type === 'Point' && Array.isArray(geometry.coordinates) ? geometry.coordinates : undefined;
    const [lon, lat] = coordinates ?? [];
    if (!coordinates || coordinates.length < 2 || coordinates.length > 3 || typeof lon !== 'number' || typeof lat !== 'number') fields.geometry = [POINT];
    const id = feature.id ?? properties.id;
    if (feature.id !== undefined && properties.id !== undefined && feature.id !== properties.id) fields.id = [text('differs between the feature and its properties', '要素的 id 与 properties.id 不一致')];
    for (const [name, value] of [['lat', lat], ['lon', lon]] as const) {
      if (properties[name] !== undefined && properties[name] !== value) fields[name] = [text('differs from the geometry (coordinates are [lon, lat])', '与几何坐标不一致（坐标顺序为 [经度, 纬度]）')];
    }
    if (Object.keys(fields).length > 0) problems.push({ at, fields, ...(typeof id === 'string' ? { id } : {}) });
    else rows.push({ at, fields: { ...properties, ...(id === undefined ? {} : { id }), lat, lon } });
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rows };
}

/** A CSV cell as the field's value: numbers and yes/no where the field wants them; an empty cell is null (clears an optional field). */
export function cellValue(field: string, cell: string): unknown {
  const value = cell.trim();
  if (value === '') return null;
  if (NUMBER_FIELDS.has(field)) return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : cell;
  if (BOOLEAN_FIELDS.has(field)) {
    const word = value.toLowerCase();
    return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : cell;
  }
  return cell;
}

/** A CSV record as it came from the parser, with the line it starts on (1 is the header). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/**
 * CSV records (the first one the header: the fields' names, in any order and
 * any subset) as rows. An `id` cell left empty means "derive the id".
 */
export function rowsFromCsv(records: readonly CsvRecord[]): ImportRows {
  const [header, ...body] = records;
  if (!header) return { ok: false, problems: [{ at: 'line 1', fields: { '': [text('the file is empty: the first line must name the columns (name, lat, lon, …)', '文件为空：第一行应为列名（name、lat、lon…）')] } }] };
  const columns = header.cells.map((cell) => cell.trim());
  const known = new Set<string>(LOT_COLUMNS);
  const headerProblems: FieldTexts = Object.create(null); // keyed by the file's column names: no prototype
  columns.forEach((column, index) => {
    if (!known.has(column)) (headerProblems[column || `column ${index + 1}`] ??= []).push(text('is not a field of a lot', '不是停车场的字段'));
    else if (columns.indexOf(column) !== index) (headerProblems[column] ??= []).push(text('appears twice in the header', '在表头中重复出现'));
  });
  if (Object.keys(headerProblems).length > 0) return { ok: false, problems: [{ at: `line ${header.line}`, fields: headerProblems }] };
  if (body.length > MAX_IMPORT_ROWS) return { ok: false, problems: [tooMany(body.length)] };
  const wide = body.filter((record) => record.cells.length > columns.length);
  if (wide.length > 0) {
    return {
      ok: false,
      problems: wide.map((record) => ({
        at: `line ${record.line}`,
        fields: { '': [text(`has ${record.cells.length} cells, but the header names ${columns.length} columns`, `有 ${record.cells.length} 个单元格，但表头只有 ${columns.length} 列`)] },
      })),
    };
  }
  const rows = body.map((record): ImportRow => {
    const fields: Record<string, unknown> = {};
    columns.forEach((column, index) => {
      const value = cellValue(column, record.cells[index] ?? '');
      // An empty id asks for one to be derived; the other fields' empty cells are null.
      if (!(column === 'id' && value === null)) fields[column] = value;
    });
    return { at: `line ${record.line}`, fields };
  });
  return { ok: true, rows };
}

/** A lot as a CSV record, in LOT_COLUMNS order (the export; an import reads it back unchanged). */
export function toCsvRecord(lot: LotMeta): string[] {
  return LOT_COLUMNS.map((column) => {
    const value = lot[column];
    return value === null || value === undefined ? '' : String(value);
  });
}

/** A lot's metadata as a GeoJSON feature (the export): coordinates [lon, lat], the other fields in properties. */
export function toImportFeature(lot: LotMeta): { type: 'Feature'; id: string; geometry: { type: 'Point'; coordinates: [number, number] }; properties: Omit<LotMeta, 'id' | 'lat' | 'lon'> } {
  const { id, lat, lon, ...properties } = lot;
  return { type: 'Feature', id, geometry: { type: 'Point', coordinates: [lon, lat] }, properties };
}

// ---------------------------------------------------------------------------
// The API's request and answer (POST /api/lots/import), named for the API
// description. CSV (text/csv) and GeoJSON (application/geo+json) bodies are
// described in DESIGN.md §4; their rows are the same lots.
// ---------------------------------------------------------------------------

/** POST /api/lots/import, application/json: the lots, each as POST /api/lots takes it (id optional) or PATCH changes it. */
export const lotImportJsonSchema = z.object({ lots: z.array(z.record(z.string(), z.unknown())).max(MAX_IMPORT_ROWS) }).strict();

/** POST /api/lots/import?dryRun=true: check and report, store nothing. */
export const lotImportQuerySchema = z
  .object({ dryRun: z.enum(['true', 'false', '1', '0']).optional() })
  .strict()
  .transform((q) => ({ dryRun: q.dryRun === 'true' || q.dryRun === '1' }));

export const importActions = ['created', 'updated', 'unchanged'] as const;
export type ImportAction = (typeof importActions)[number];

const fieldChangeSchema = z.object({ from: z.unknown(), to: z.unknown() });

/** 200 from POST /api/lots/import: what was done (or, in a dry run, would be) to each row, in file order. */
export const lotImportAnswerSchema = z.object({
  dryRun: z.boolean(),
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
  lots: z.array(
    z.object({
      at: z.string(),
      id: z.string(),
      action: z.enum(importActions),
      changes: z.record(z.string(), fieldChangeSchema),
    }),
  ),
});
export interface LotImportAnswer {
  dryRun: boolean;
  created: number;
  updated: number;
  unchanged: number;
  /** One entry per row: where it is in the file, the lot's id (derived when the row had none), what was done, each field from what to what. */
  lots: { at: string; id: string; action: ImportAction; changes: Record<string, FieldChange> }[];
}

/** The details of a refused import (400 validation_failed): every bad row, by where it is and which field. */
export interface LotImportProblemDetails {
  /** `"line 5.capacity"`, `"lots[3].name"`, `"features[2].geometry"`: every problem, flat, as every 400 has them. */
  fields: Record<string, string[]>;
  /** The same, by row. */
  rows: { at: string; id?: string; fields: Record<string, string[]> }[];
}

/** A one-line summary of what an import did, for people (the CLI). */
export function importSummary(answer: Pick<LotImportAnswer, 'dryRun' | 'created' | 'updated' | 'unchanged'>): Text {
  const { created, updated, unchanged } = answer;
  const nothing = created + updated === 0;
  const en = nothing
    ? `nothing to change: ${unchanged} lot${unchanged === 1 ? '' : 's'} already as in the file`
    : `${created} created, ${updated} updated, ${unchanged} unchanged`;
  const zh = nothing ? `无需改动：${unchanged} 个停车场已与文件一致` : `新建 ${created} 个，更新 ${updated} 个，未变 ${unchanged} 个`;
  return answer.dryRun ? { en: `dry run, nothing stored: ${en}`, zh: `试运行，未保存：${zh}` } : { en, zh };
}

/** Where a row is, for people: `line 5` is 第 5 行 in Chinese; paths (`lots[3]`) read the same in both. */
export const placeIn = (at: string, locale: Locale) => (locale === 'zh' ? at.replace(/^line (\d+)$/, '第 $1 行').replace(/^file$/, '文件') : at);

/**
 * A refused import (400 validation_failed): nothing was stored; the message
 * and details name every bad row by where it is in the file, and its fields.
 */
export function importProblemsError(problems: readonly RowProblem[]): AppError {
  const wording = (locale: Locale) => {
    const fields: Record<string, string[]> = {};
    for (const problem of problems) {
      for (const [field, messages] of Object.entries(inLocale(problem.fields, locale))) (fields[field ? `${problem.at}.${field}` : problem.at] ??= []).push(...messages);
    }
    const details: LotImportProblemDetails = {
      fields,
      rows: problems.map((p) => ({ at: p.at, ...(p.id === undefined ? {} : { id: p.id }), fields: inLocale(p.fields, locale) })),
    };
    const what = text('row', '此行');
    const each = problems.map((p) => {
      const id = p.id ? (locale === 'zh' ? `（${p.id}）` : ` (${p.id})`) : '';
      return `${placeIn(p.at, locale)}${id}${locale === 'zh' ? '：' : ': '}${summarize(p.fields, what, locale)}`;
    });
    const message =
      locale === 'zh'
        ? `导入无效，未保存任何内容（${problems.length} 处问题）：${each.join('；')}`
        : `invalid import, nothing was stored (${problems.length} row${problems.length === 1 ? '' : 's'} with problems): ${each.join('; ')}`;
    return { message, details };
  };
  const english = wording('en');
  return new AppError('validation_failed', english.message, english.details, { zh: wording('zh') });
}

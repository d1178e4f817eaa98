// Import and export files of lots (DESIGN.md §4, "Bulk lots"): CSV read and
// written by csv-parse / csv-stringify (quotes, commas and line breaks inside
// cells, a byte-order mark), GeoJSON and JSON by JSON. The rows' meaning is
// the domain's (domain/lot-import.ts); this is the text.
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import {
  LOT_COLUMNS, rowsFromCsv, rowsFromGeoJson, rowsFromJson, toCsvRecord, toImportFeature,
  type CsvRecord, type ImportFormat, type ImportRows,
} from '../domain/lot-import.ts';
import type { LotMeta } from '../domain/lot.ts';
import { text } from '../domain/messages.ts';

export type { ImportFormat };

/** The format of a request body by its Content-Type, or undefined when it is none of them. */
export function formatOfMediaType(contentType: string | undefined): ImportFormat | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') return 'json';
  if (type === 'application/geo+json') return 'geojson';
  if (type === 'text/csv' || type === 'application/csv') return 'csv';
  return undefined;
}

/** The format of a file by its name: .csv, .geojson, or .json (which may hold a FeatureCollection too). */
export function formatOfFileName(name: string): ImportFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.geojson')) return 'geojson';
  if (lower.endsWith('.json')) return 'json';
  return undefined;
}

const newlinesIn = (cells: readonly string[]) => cells.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);

/** CSV text as rows: each named by the line it starts on (the header is line 1). */
export function rowsFromCsvText(csv: string): ImportRows {
  // One kind of line break, so line numbers count the way an editor shows them.
  const normalized = csv.replace(/\r\n?/g, '\n');
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(normalized, { bom: true, info: true, skip_empty_lines: true, skip_records_with_empty_values: true, relax_column_count: true }) as unknown as typeof parsed;
  } catch (err) {
    const e = err as Error & { lines?: number };
    return { ok: false, problems: [{ at: `line ${e.lines ?? 1}`, fields: { '': [text(`the CSV cannot be read here: ${e.message}`, `此处 CSV 无法解析：${e.message}`)] } }] };
  }
  // The parser reports the line a record ends on; a quoted cell may span lines.
  const records: CsvRecord[] = parsed.map(({ record, info }) => ({ line: info.lines - newlinesIn(record), cells: record }));
  return rowsFromCsv(records);
}

/** An import body as rows: CSV text, or a JSON value (`{"lots":[…]}` or a FeatureCollection). */
export function rowsOf(format: ImportFormat, body: unknown): ImportRows {
  if (format === 'csv') {
    if (typeof body !== 'string') return { ok: false, problems: [{ at: 'file', fields: { '': [text('must be CSV text', '应为 CSV 文本')] } }] };
    return rowsFromCsvText(body);
  }
  return format === 'geojson' ? rowsFromGeoJson(body) : rowsFromJson(body);
}

/** Reads an import file's text: CSV as it is, JSON and GeoJSON parsed (a file that is not JSON is named). */
export function rowsOfFile(format: ImportFormat, content: string): ImportRows {
  if (format === 'csv') return rowsFromCsvText(content);
  let value: unknown;
  try {
    value = JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { ok: false, problems: [{ at: 'file', fields: { '': [text(`is not valid JSON: ${(err as Error).message}`, `不是有效的 JSON：${(err as Error).message}`)] } }] };
  }
  return rowsOf(format, value);
}

/**
 * Lots as CSV: a header of the fields' names, one lot per line, UTF-8 with a
 * byte-order mark (so spreadsheet programs show Chinese names right).
 */
export function lotsToCsv(lots: readonly LotMeta[]): string {
  return stringify(lots.map(toCsvRecord), { header: true, columns: LOT_COLUMNS as string[], bom: true });
}

/** Lots as a GeoJSON FeatureCollection (coordinates [lon, lat]). */
export function lotsToGeoJson(lots: readonly LotMeta[]): string {
  return `${JSON.stringify({ type: 'FeatureCollection', features: lots.map(toImportFeature) }, null, 2)}\n`;
}

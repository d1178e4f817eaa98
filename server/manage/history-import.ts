// History imported by an operator migrating from an older system, or by an
// administrator from the command line (DESIGN.md §7, "Import"): a CSV of
// samples, all or nothing (every bad line named), turned into 5-minute
// buckets and written only where nothing is recorded yet — so an import run
// twice, or over time the service recorded itself, never counts twice.
import { parse } from 'csv-parse/sync';
import type { Catalog } from '../catalog/catalog.ts';
import type { LotRepository } from '../catalog/repository.ts';
import { localizedError } from '../domain/errors.ts';
import {
  bucketsFromSamples, emptyRecorderState, historyLotOf, MAX_IMPORT_LINES, sampleOf,
  type ClosedSpans, type HistorySample, type ImportProblem,
} from '../domain/history.ts';
import { text } from '../domain/messages.ts';
import type { Principal } from '../domain/principal.ts';
import { HOUR_MS, startOfLocalStep } from '../domain/zone.ts';
import type { HistoryRepository } from '../history/repository.ts';
import { ownedLot } from './ownership.ts';

export interface HistoryImportOptions {
  history: HistoryRepository;
  lots: LotRepository;
  catalog: Catalog;
  staleAfterS: number;
  timeZone: string;
  clock?: () => number;
}

export interface HistoryImportAnswer {
  samples: number;
  lots: { lotId: string; written: number; alreadyRecorded: number }[];
}

/** The problems of a file, as a 400 naming each line. */
function badFile(problems: readonly ImportProblem[]) {
  const lines = problems.map((p) => `line ${p.line}: ${p.message}`);
  return localizedError(
    'validation_failed',
    text(`invalid history file: ${problems.length} bad line${problems.length === 1 ? '' : 's'}, nothing imported — ${lines.slice(0, 3).join('; ')}`,
      `历史文件无效：${problems.length} 行有误，未导入任何数据 — ${lines.slice(0, 3).join('；')}`),
    { file: lines.map((line) => text(line, line)) },
    { lines: problems },
  );
}

/** Reads the CSV: every sample, or every bad line (nothing is taken from a file with one). */
export function parseHistoryCsv(content: string): { samples: HistorySample[] } | { problems: ImportProblem[] } {
  let rows: string[][];
  try {
    rows = parse(content.replace(/^\uFEFF/, ''), { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    return { problems: [{ line: (err as { lines?: number }).lines ?? 1, message: `not CSV: ${(err as Error).message}` }] };
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const [iLot, iAt, iOcc, iCap] = ['lot', 'at', 'occupied', 'capacity'].map((name) => header.indexOf(name)) as [number, number, number, number];
  if (iLot < 0 || iAt < 0 || iOcc < 0) return { problems: [{ line: 1, message: 'the first line must name the columns: lot,at,occupied[,capacity]' }] };
  if (rows.length - 1 > MAX_IMPORT_LINES) return { problems: [{ line: MAX_IMPORT_LINES + 2, message: `more than ${MAX_IMPORT_LINES} lines: split the file` }] };
  if (rows.length < 2) return { problems: [{ line: 2, message: 'no samples after the header' }] };
  const samples: HistorySample[] = [];
  const problems: ImportProblem[] = [];
  rows.slice(1).forEach((row, i) => {
    const sample = sampleOf({ lot: row[iLot] ?? '', at: row[iAt] ?? '', occupied: row[iOcc] ?? '', capacity: iCap >= 0 ? (row[iCap] ?? '') : '' });
    if (typeof sample === 'string') {
      if (problems.length < 100) problems.push({ line: i + 2, message: sample });
    } else samples.push(sample);
  });
  return problems.length ? { problems } : { samples };
}

export class HistoryImport {
  private readonly clock: () => number;
  private readonly closedByHours = new Map<string, ClosedSpans | undefined>();

  constructor(private readonly options: HistoryImportOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Imports a file as `principal` (each lot must be one it manages; `onlyLot`:
   * every line must be that lot's). `progress` hears after each lot.
   */
  async run(principal: Principal, content: string, options: { onlyLot?: string; progress?: (done: number, of: number) => void } = {}): Promise<HistoryImportAnswer> {
    const parsed = parseHistoryCsv(content);
    if ('problems' in parsed) throw badFile(parsed.problems);
    const { samples } = parsed;
    const byLot = new Map<string, HistorySample[]>();
    const problems: ImportProblem[] = [];
    samples.forEach((sample, i) => {
      if (options.onlyLot && sample.lot !== options.onlyLot) problems.push({ line: i + 2, message: `lot "${sample.lot}" is not "${options.onlyLot}", the lot this import is for` });
      else if (!this.options.catalog.get(sample.lot)) problems.push({ line: i + 2, message: `no lot "${sample.lot}"` });
      else (byLot.get(sample.lot) ?? byLot.set(sample.lot, []).get(sample.lot)!).push(sample);
    });
    if (problems.length) throw badFile(problems.slice(0, 100));
    for (const lotId of byLot.keys()) await ownedLot(this.options.lots, principal, lotId);

    const { history, timeZone } = this.options;
    const now = this.clock();
    const answer: HistoryImportAnswer = { samples: samples.length, lots: [] };
    let done = 0;
    for (const [lotId, lotSamples] of byLot) {
      const lot = this.options.catalog.get(lotId)!;
      const buckets = bucketsFromSamples(lotSamples, lot.capacity, historyLotOf(lot, this.options.staleAfterS, timeZone, this.closedByHours), now);
      const initial = emptyRecorderState(lot.capacity, lot.status === 'open');
      const written = await history.writeImported(lotId, buckets, (ms) => startOfLocalStep(ms, HOUR_MS, timeZone), now, initial);
      answer.lots.push({ lotId, written, alreadyRecorded: buckets.length - written });
      options.progress?.(++done, byLot.size);
    }
    return answer;
  }
}

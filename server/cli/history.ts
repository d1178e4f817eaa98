// npm run history -- import <file.csv>
// A lot's older history from another system, into the configured database
// (DATABASE_URL, or the SQLite file in DATA_DIR), as an administrator: the
// same import as POST /api/lots/{id}/history, for any number of lots at once
// (all or nothing, every bad line named, never counting twice what is
// recorded). A running service answers with it at once (history is read
// from SQL).
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Bus } from '../bus.ts';
import { Catalog } from '../catalog/catalog.ts';
import { LotRepository } from '../catalog/repository.ts';
import { AppError } from '../domain/errors.ts';
import type { ImportProblem } from '../domain/history.ts';
import { localeOf } from '../domain/messages.ts';
import type { Principal } from '../domain/principal.ts';
import { HistoryRepository } from '../history/repository.ts';
import { HistoryImport } from '../manage/history-import.ts';
import { withDatabase } from './db.ts';

const usage = `Usage: npm run history -- import <file.csv>
  import <file.csv>   samples from another system: a header line, then lot,at,occupied[,capacity]
                      (at: ISO 8601 with an offset, e.g. 2026-06-01T08:00:00+08:00). Each sample
                      holds until the lot's next one or its stale threshold. All or nothing: a file
                      with a bad line imports nothing and names every bad line. Buckets already
                      recorded stay as they are, so importing again never counts twice.
Uses DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite), as the service does.`;

const COMMAND_LINE: Principal = { id: 'cli', name: 'npm run history', role: 'admin' };
const locale = localeOf((process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '').replace(/[._@].*$/, '').replace('_', '-'));

async function runImport(file: string): Promise<void> {
  const content = readFileSync(file, 'utf8');
  await withDatabase(async (db, config) => {
    const catalog = new Catalog({ db, bus: new Bus() });
    await catalog.start();
    try {
      const imports = new HistoryImport({ history: new HistoryRepository(db), lots: new LotRepository(db), catalog, staleAfterS: config.STALE_AFTER_S, timeZone: config.TIME_ZONE });
      const answer = await imports.run(COMMAND_LINE, content, { progress: (done, of) => process.stderr.write(`\r${done}/${of} lots`) });
      process.stderr.write('\n');
      for (const lot of answer.lots) console.log(`${lot.lotId}\t${lot.written} buckets written\t${lot.alreadyRecorded} already recorded`);
      console.error(locale === 'zh' ? `已导入 ${answer.samples} 个样本，${answer.lots.length} 个停车场` : `imported ${answer.samples} samples for ${answer.lots.length} lots`);
    } finally {
      catalog.stop();
    }
  });
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { help: { type: 'boolean', default: false } } });
  const [command, file, ...rest] = positionals;
  if (values.help || !command) return void console.log(usage);
  if (command === 'import' && file && rest.length === 0) return runImport(file);
  throw new Error(`${command === 'import' ? 'import needs one file' : `unknown command "${command}"`}\n${usage}`);
}

main().catch((err) => {
  if (err instanceof AppError) {
    const { message, details } = err.in(locale);
    const lines = (details as { lines?: ImportProblem[] } | undefined)?.lines;
    console.error(`history: ${lines ? message.split(/ — /)[0] : message}`);
    for (const line of lines ?? []) console.error(`  line ${line.line}\t${line.message}`);
  } else console.error(`history: ${(err as Error).message}`);
  process.exit(1);
});

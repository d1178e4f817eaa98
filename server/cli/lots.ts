// npm run lots -- import <file> [--dry-run] [--as <operator id>] | export [--format csv|geojson] [--out <file>]
// Bulk lots from the command line, on the configured database (DATABASE_URL,
// or the SQLite file in DATA_DIR): the same import as POST /api/lots/import
// (all or nothing, every bad row named, audited), as an administrator — or,
// with --as, as that operator, whose lots the new ones become. With REDIS_URL
// the running instances are told at once (the catalog's announcements) and
// the live state follows; without it a running service reads them at its
// next start (import through the API to have them on open maps at once).
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Bus } from '../bus.ts';
import { Catalog } from '../catalog/catalog.ts';
import { AuditRepository } from '../catalog/audit.ts';
import { LotRepository } from '../catalog/repository.ts';
import { CatalogSync } from '../catalog/sync.ts';
import { AppError } from '../domain/errors.ts';
import { importSummary, type LotImportProblemDetails } from '../domain/lot-import.ts';
import { localeOf } from '../domain/messages.ts';
import type { Principal } from '../domain/principal.ts';
import { MemoryLiveStore } from '../live/memory-store.ts';
import { RedisLiveStore } from '../live/redis-store.ts';
import type { LiveStore } from '../live/store.ts';
import { createLogger } from '../log.ts';
import { LotAdmin } from '../manage/lot-admin.ts';
import { formatOfFileName, lotsToCsv, lotsToGeoJson } from '../manage/lot-files.ts';
import { LotImport } from '../manage/lot-import.ts';
import { OperatorAccounts } from '../manage/operators.ts';
import { withDatabase } from './db.ts';

const usage = `Usage: npm run lots -- <command>
  import <file> [--dry-run] [--as <operator id>]
                 import lots from a .csv, .geojson or .json file (all or nothing; a row with
                 an id updates that lot or creates it, one without gets an id from its name);
                 --dry-run reports what would change and stores nothing; --as imports as that
                 operator (the new lots are its own), else as an administrator (the new lots
                 belong to no operator, as the seeded ones)
  export [--format csv|geojson] [--out <file>]
                 every lot's metadata, as CSV (default) or GeoJSON, to the file or stdout
Uses DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite), and REDIS_URL, as the service does.
Example files: db/examples/shibei-lots.csv, db/examples/shibei-lots.geojson.`;

/** The administrator the command line acts as (it has the database, so it may change every lot). */
const COMMAND_LINE: Principal = { id: 'cli', name: 'npm run lots', role: 'admin' };

/** Messages in the terminal's language (LANG=zh_CN.UTF-8: Chinese). */
const locale = localeOf((process.env.LC_ALL || process.env.LC_MESSAGES || process.env.LANG || '').replace(/[._@].*$/, '').replace('_', '-'));

async function runImport(file: string, dryRun: boolean, as: string | undefined): Promise<void> {
  const format = formatOfFileName(file);
  if (!format) throw new Error(`"${file}": the file's name must end in .csv, .geojson or .json`);
  const content = readFileSync(file, 'utf8');
  await withDatabase(async (db, config) => {
    let principal = COMMAND_LINE;
    if (as !== undefined) {
      const operator = (await new OperatorAccounts(db).list()).find((o) => o.id === as);
      if (!operator) throw new Error(`no active operator "${as}" (npm run operators -- list)`);
      principal = { id: operator.id, name: operator.name, role: operator.role };
    }
    const log = createLogger(process.env.LOG_LEVEL === undefined ? 'warn' : config.LOG_LEVEL);
    const bus = new Bus(log);
    const catalog = new Catalog({ db, bus });
    const redis = config.REDIS_URL ? { url: config.REDIS_URL, keyPrefix: config.REDIS_KEY_PREFIX } : undefined;
    // With Redis, the running instances hear of each change (catalog sync) and the live state follows (capacities).
    const store: LiveStore = redis ? new RedisLiveStore(redis) : new MemoryLiveStore();
    const sync = redis ? new CatalogSync({ ...redis, catalog, bus, log }) : undefined;
    await catalog.start();
    await store.start();
    await sync?.start();
    try {
      const lots = new LotRepository(db);
      const admin = new LotAdmin({ db, lots, audit: new AuditRepository(db), catalog, store, bus, log });
      const imports = new LotImport({ db, lots, audit: new AuditRepository(db), admin, log });
      const body = format === 'csv' ? content : parseJsonFile(file, content);
      const answer = await imports.run(principal, format, body, { dryRun, ...(as === undefined ? { newOwnerId: null } : {}) });
      for (const row of answer.lots) {
        const changed = row.action === 'updated' ? `\t${Object.keys(row.changes).join(',')}` : '';
        console.log(`${row.at}\t${row.action}\t${row.id}${changed}`);
      }
      console.error(importSummary(answer)[locale]);
      if (!dryRun && !redis && answer.created + answer.updated > 0) {
        console.error(
          locale === 'zh'
            ? '已写入数据库。未设置 REDIS_URL 时，正在运行的服务在下次启动时读取这些停车场；如需立即显示在地图上，请通过 API 导入（POST /api/lots/import）。'
            : 'written to the database. Without REDIS_URL a running service reads these lots at its next start; to have them on open maps at once, import through the API (POST /api/lots/import).',
        );
      }
    } finally {
      await sync?.stop();
      await store.stop();
      catalog.stop();
    }
  });
}

/** A JSON file's content, or an error naming the file when it is not JSON. */
function parseJsonFile(file: string, content: string): unknown {
  try {
    return JSON.parse(content.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new Error(`"${file}" is not valid JSON: ${(err as Error).message}`);
  }
}

async function runExport(format: string, out: string | undefined): Promise<void> {
  if (format !== 'csv' && format !== 'geojson') throw new Error(`--format must be csv or geojson, not "${format}"`);
  const lots = await withDatabase((db) => new LotRepository(db).list());
  const content = format === 'csv' ? lotsToCsv(lots) : lotsToGeoJson(lots);
  if (out) {
    writeFileSync(out, content);
    console.error(`${lots.length} lots written to ${out}`);
  } else process.stdout.write(content);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      'dry-run': { type: 'boolean', default: false },
      as: { type: 'string' },
      format: { type: 'string', default: 'csv' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, file, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return;
  }
  if (command === 'import' && file && rest.length === 0) return runImport(file, values['dry-run'], values.as);
  if (command === 'export' && !file) return runExport(values.format, values.out);
  throw new Error(`${command === 'import' ? 'import needs one file' : `unknown command "${command}"`}\n${usage}`);
}

main().catch((err) => {
  if (err instanceof AppError) {
    // A refused import: every bad row on its own line, in the terminal's language; nothing was stored.
    const { message, details } = err.in(locale);
    const rows = (details as Partial<LotImportProblemDetails> | undefined)?.rows;
    console.error(`lots: ${rows ? message.split(/[:：]/)[0] : message}`);
    for (const row of rows ?? []) {
      for (const [field, messages] of Object.entries(row.fields)) console.error(`  ${row.at}${row.id ? ` (${row.id})` : ''}\t${field || '-'}\t${messages.join('; ')}`);
    }
  } else console.error(`lots: ${(err as Error).message}`);
  process.exit(1);
});

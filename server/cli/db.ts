// The database of the configuration (DATABASE_URL or DATA_DIR), migrated, for command-line tools.
import type { Knex } from 'knex';
import { createDatabase, migrate } from '../catalog/db.ts';
import { ConfigError, loadConfig, type Config } from '../config.ts';

export async function withDatabase<T>(run: (db: Knex, config: Config) => Promise<T>): Promise<T> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(78);
    }
    throw err;
  }
  const db = createDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  try {
    await migrate(db);
    return await run(db, config);
  } finally {
    await db.destroy();
  }
}

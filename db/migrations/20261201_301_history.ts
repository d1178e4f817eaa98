import type { Knex } from 'knex';

/**
 * History (DESIGN.md §7, "Storage"): 5-minute buckets and their hourly
 * roll-ups, the recorder's place in each lot's log, and the hours whose
 * roll-up is due. Keys are (lot_id, start): a bucket is written whole, by an
 * upsert on them. Deleting a lot deletes its history (a reused id inherits
 * nothing). On PostgreSQL the bucket tables are partitioned by month of
 * `start` (server/history/partitions.ts makes the partitions).
 */
export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  for (const table of ['history_5m', 'history_1h']) {
    if (pg) {
      await knex.raw(`CREATE TABLE ?? (
        lot_id varchar(64) NOT NULL REFERENCES lots(id) ON DELETE CASCADE,
        start bigint NOT NULL,
        known_ms bigint NOT NULL,
        occ_ms bigint NOT NULL,
        cap_ms bigint NOT NULL,
        occ_min integer NOT NULL,
        occ_max integer NOT NULL,
        capacity integer NOT NULL,
        PRIMARY KEY (lot_id, start)
      ) PARTITION BY RANGE (start)`, [table]);
    } else {
      await knex.schema.createTable(table, (t) => {
        t.string('lot_id', 64).notNullable().references('id').inTable('lots').onDelete('CASCADE');
        t.bigInteger('start').notNullable();
        t.bigInteger('known_ms').notNullable();
        t.bigInteger('occ_ms').notNullable();
        t.bigInteger('cap_ms').notNullable();
        t.integer('occ_min').notNullable();
        t.integer('occ_max').notNullable();
        t.integer('capacity').notNullable();
        t.primary(['lot_id', 'start']);
      });
    }
  }
  await knex.schema.createTable('history_recorder', (t) => {
    t.string('lot_id', 64).primary().references('id').inTable('lots').onDelete('CASCADE');
    /** The recorder's state (domain/history/log.ts RecorderState), JSON. */
    t.text('state').notNullable();
    /** Bumped by every write: a recorder that read an older one lost a race and writes nothing. */
    t.integer('version').notNullable();
  });
  await knex.schema.createTable('history_dirty', (t) => {
    t.string('lot_id', 64).notNullable().references('id').inTable('lots').onDelete('CASCADE');
    /** Start of the local hour whose 5-minute buckets changed. */
    t.bigInteger('hour').notNullable();
    /** When it was last marked (the service's clock, ms): the roll-up clears only marks older than its read. */
    t.bigInteger('marked_at').notNullable();
    t.primary(['lot_id', 'hour']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['history_dirty', 'history_recorder', 'history_1h', 'history_5m']) await knex.schema.dropTableIfExists(table);
}

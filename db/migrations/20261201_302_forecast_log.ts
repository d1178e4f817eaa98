import type { Knex } from 'knex';

/**
 * What the service forecast (DESIGN.md §7, "Live accuracy"): a lot's
 * forecast at a few horizons, made now and then, kept to compare with what
 * then happened. Keyed by lot, horizon and target; deleting a lot deletes it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('forecast_log', (t) => {
    t.string('lot_id', 64).notNullable().references('id').inTable('lots').onDelete('CASCADE');
    /** Minutes ahead: 30, 120, 1440 or 10080. */
    t.integer('horizon_min').notNullable();
    /** The 5-minute bucket forecast (its start, epoch ms). */
    t.bigInteger('target').notNullable();
    /** When it was made (the asOf, epoch ms). */
    t.bigInteger('made_at').notNullable();
    t.double('occupied').notNullable();
    t.double('low').notNullable();
    t.double('high').notNullable();
    t.primary(['lot_id', 'horizon_min', 'target']);
    t.index(['made_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('forecast_log');
}

import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('lots', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).notNullable();
    t.string('name_en', 200).nullable();
    t.string('address', 500).nullable();
    t.double('lat').notNullable();
    t.double('lon').notNullable();
    t.string('type', 32).notNullable();
    t.string('status', 32).notNullable();
    t.integer('capacity').notNullable();
    t.integer('stale_after_s').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('lots');
}

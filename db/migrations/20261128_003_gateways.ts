import type { Knex } from 'knex';

/** Sensor gateways and the lots each may publish for (DESIGN.md §3, gateway auth). */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('gateways', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).nullable();
    /** Hash of the gateway's MQTT password; null for a gateway known only from its traffic. */
    t.string('secret_hash', 200).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
  });
  await knex.schema.createTable('gateway_lots', (t) => {
    t.increments('id').primary();
    t.string('gateway_id', 64).notNullable().references('id').inTable('gateways').onDelete('CASCADE');
    t.string('lot_id', 64).notNullable().references('id').inTable('lots').onDelete('CASCADE');
    t.unique(['gateway_id', 'lot_id']);
    t.index(['lot_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('gateway_lots');
  await knex.schema.dropTable('gateways');
}

import type { Knex } from 'knex';

/**
 * Operators (accounts with a bearer token, stored hashed), who owns which lot
 * and gateway, and the audit trail of lot changes (DESIGN.md §4).
 * Owners are plain columns, not foreign keys: operators are disabled, never deleted.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('operators', (t) => {
    t.string('id', 64).primary();
    t.string('name', 200).notNullable();
    t.string('role', 16).notNullable();
    /** SHA-256 (hex) of the bearer token; the token itself is shown once and never stored. */
    t.string('token_hash', 64).notNullable().unique();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('disabled_at', { useTz: true }).nullable();
  });
  await knex.schema.alterTable('lots', (t) => {
    t.string('owner_id', 64).nullable().index();
  });
  await knex.schema.alterTable('gateways', (t) => {
    t.string('owner_id', 64).nullable().index();
  });
  await knex.schema.createTable('lot_audit', (t) => {
    t.increments('id').primary();
    /** No foreign key: the trail outlives a deleted lot. */
    t.string('lot_id', 64).notNullable().index();
    /** The lot's owner when the change was made (who may read the trail of a deleted lot). */
    t.string('owner_id', 64).nullable();
    t.string('actor_id', 64).notNullable();
    t.string('actor_name', 200).notNullable();
    t.string('action', 32).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
    /** The lot (or gateway) before and after, as JSON text; null for a creation / deletion. */
    t.text('before').nullable();
    t.text('after').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('lot_audit');
  await knex.schema.alterTable('gateways', (t) => {
    t.dropIndex(['owner_id']);
    t.dropColumn('owner_id');
  });
  await knex.schema.alterTable('lots', (t) => {
    t.dropIndex(['owner_id']);
    t.dropColumn('owner_id');
  });
  await knex.schema.dropTable('operators');
}

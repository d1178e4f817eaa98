import type { Knex } from 'knex';

/**
 * Webhooks (alerts for operators) and their outbox, which is also the
 * delivery log (DESIGN.md §4, "Alerts"). Times are epoch milliseconds
 * (bigint): the dispatcher compares and adds them, the same on both engines.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('webhooks', (t) => {
    t.string('id', 64).primary();
    /** The operator it belongs to; not a foreign key, as lots' owners (operators are disabled, never deleted; "admin" is ADMIN_TOKEN). */
    t.string('owner_id', 64).notNullable().index();
    t.string('url', 2048).notNullable();
    /** The events it is told of, a JSON array. */
    t.text('events').notNullable();
    t.string('description', 200).nullable();
    t.boolean('enabled').notNullable();
    /** The secret sealed with the service's key (AES-256-GCM: auth/webhook-secrets.ts), never in the clear. */
    t.text('secret_sealed').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
  await knex.schema.createTable('webhook_deliveries', (t) => {
    /** Grows with each delivery queued: the envelope's `sequence`. */
    t.increments('id').primary();
    /** The delivery id (X-Kongwei-Delivery), a UUID: the same on every attempt. */
    t.string('delivery_id', 36).notNullable().unique();
    t.string('webhook_id', 64).notNullable().references('id').inTable('webhooks').onDelete('CASCADE');
    t.string('event', 32).notNullable();
    /** The lot or gateway it is about; null for a ping. */
    t.string('subject', 64).nullable();
    /** firing or resolved (a condition's transition); null for lot.changed and ping. */
    t.string('state', 16).nullable();
    /** Names the transition (SHA-256, hex): queued once per webhook, however many instances saw it. */
    t.string('event_key', 64).notNullable();
    /** The event's data, JSON: the envelope's `data`. */
    t.text('payload').notNullable();
    t.bigInteger('occurred_at').notNullable();
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('next_attempt_at').nullable();
    /** An instance delivering it holds it until then (a crashed instance's lease runs out and another retries). */
    t.bigInteger('lease_until').nullable();
    t.string('lease_owner', 64).nullable();
    t.bigInteger('last_attempt_at').nullable();
    t.bigInteger('delivered_at').nullable();
    t.integer('response_status').nullable();
    t.string('last_error', 500).nullable();
    t.unique(['webhook_id', 'event_key']);
    t.index(['status', 'next_attempt_at']);
    t.index(['webhook_id', 'event', 'subject']);
    t.index(['occurred_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries');
  await knex.schema.dropTable('webhooks');
}

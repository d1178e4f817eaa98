import type { Knex } from 'knex';

const columns = [
  'opening_hours', 'capacity_disabled', 'capacity_charging', 'capacity_family', 'capacity_women',
  'fee', 'price_info', 'price_info_en', 'max_height_cm',
];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lots', (t) => {
    t.string('opening_hours', 500).nullable();
    t.integer('capacity_disabled').nullable();
    t.integer('capacity_charging').nullable();
    t.integer('capacity_family').nullable();
    t.integer('capacity_women').nullable();
    t.boolean('fee').nullable();
    t.string('price_info', 500).nullable();
    t.string('price_info_en', 500).nullable();
    t.integer('max_height_cm').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lots', (t) => {
    for (const column of columns) t.dropColumn(column);
  });
}

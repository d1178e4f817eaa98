// The bays of each special kind a lot declares (issue 14: live free counts per
// kind), each as a list of bay ids and ranges ("c001..c040, c101"; domain/bay-kinds.ts).
// Text, not a string(n): a lot may list up to 10,000 bays one by one.
import type { Knex } from 'knex';

const columns = ['bays_charging', 'bays_disabled', 'bays_family', 'bays_women'];

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lots', (t) => {
    for (const column of columns) t.text(column).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('lots', (t) => {
    for (const column of columns) t.dropColumn(column);
  });
}

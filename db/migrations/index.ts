// The migrations, listed here in order rather than found by scanning a
// folder, so they load the same under tsx, in tests and in a bundle.
// Add a new migration file, then its line below; never edit an applied one.
import type { Knex } from 'knex';
import * as lots001 from './20261128_001_lots.ts';
import * as lotDetails002 from './20261128_002_lot_details.ts';
import * as gateways003 from './20261128_003_gateways.ts';
import * as operators201 from './20261128_201_operators.ts';
import * as history301 from './20261201_301_history.ts';
import * as forecastLog302 from './20261201_302_forecast_log.ts';
import * as webhooks401 from './20261202_401_webhooks.ts';
import * as bayKinds501 from './20261202_501_bay_kinds.ts';

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: [name: string, module: MigrationModule][] = [
  ['20261128_001_lots', lots001],
  ['20261128_002_lot_details', lotDetails002],
  ['20261128_003_gateways', gateways003],
  ['20261128_201_operators', operators201],
  ['20261201_301_history', history301],
  ['20261201_302_forecast_log', forecastLog302],
  ['20261202_401_webhooks', webhooks401],
  ['20261202_501_bay_kinds', bayKinds501],
];

export const migrationSource: Knex.MigrationSource<[string, MigrationModule]> = {
  async getMigrations() {
    return migrations;
  },
  getMigrationName([name]) {
    return name;
  },
  async getMigration([, module]) {
    return module;
  },
};

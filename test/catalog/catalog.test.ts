// The catalog on both SQL engines: migrations, seeding, row mapping.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { migrationSource } from '../../db/migrations/index.ts';
import { seedLots } from '../../db/seed.ts';
import { Bus } from '../../server/bus.ts';
import { Catalog } from '../../server/catalog/catalog.ts';
import { GatewayRepository } from '../../server/catalog/gateways.ts';
import { createDatabase, migrate } from '../../server/catalog/db.ts';
import { lotMetaSchema } from '../../server/domain/lot.ts';
import { createTestDatabase, requireService } from '../helpers/services.ts';

interface Engine {
  name: string;
  setup(ctx: Mocha.Context): Promise<{ open: () => Knex; cleanup: () => Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'sqlite',
    setup: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kongwei-sql-'));
      return { open: () => createDatabase({ dataDir: dir }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgresql',
    setup: async (ctx) => {
      await requireService(ctx, 'postgresql');
      const db = await createTestDatabase();
      return { open: () => createDatabase({ databaseUrl: db.url, dataDir: '/nonexistent' }), cleanup: db.drop };
    },
  },
];

describe('catalog on postgresql: instances starting together', function () {
  // Several instances share PostgreSQL (SQLite serves one): they must take turns to migrate a new database.
  it('lets instances starting together migrate one new database: they take turns', async function () {
    await requireService(this, 'postgresql');
    const fresh = await createTestDatabase();
    const dbs = [0, 1, 2].map(() => createDatabase({ databaseUrl: fresh.url, dataDir: '/nonexistent' }));
    try {
      await Promise.all(dbs.map((db) => migrate(db)));
      assert.ok(await dbs[0]!.schema.hasTable('lots'));
      const migrations = (await migrationSource.getMigrations([])).length;
      assert.equal(Number((await dbs[0]!('knex_migrations').count<{ n: string }[]>({ n: '*' }))[0]!.n), migrations, 'each migration ran once');
    } finally {
      for (const db of dbs) await db.destroy();
      await fresh.drop();
    }
  });
});

for (const engine of engines) {
  describe(`catalog on ${engine.name}`, function () {
    let open: () => Knex;
    let cleanup = async () => {};
    const opened: Knex[] = [];
    const connect = async () => {
      const db = open();
      opened.push(db);
      await migrate(db);
      return db;
    };

    before(async function () {
      ({ open, cleanup } = await engine.setup(this));
    });
    after(async () => {
      for (const db of opened) await db.destroy();
      await cleanup();
    });

    it('migrates and seeds the nine Shibei lots into an empty catalog', async () => {
      const catalog = new Catalog({ db: await connect(), bus: new Bus(), seed: seedLots() });
      await catalog.start();
      assert.equal(catalog.seeded, 9);
      assert.equal(catalog.size, 9);
      const lot = catalog.get('hangzhou-rd-7')!;
      assert.deepEqual(lot, lotMetaSchema.parse({
        id: 'hangzhou-rd-7', name: '杭州路7号停车场', nameEn: 'Hangzhou Rd No. 7 Car Park', address: '市北区杭州路7号',
        lat: 36.0935, lon: 120.37, type: 'surface', status: 'under_construction', capacity: 32,
      }));
      assert.equal(lot.openingHours, null);
      assert.equal(typeof catalog.get('cruise-port')!.capacity, 'number');
    });

    it('maps every detail field both ways (booleans, nullable numbers)', async () => {
      const db = await connect();
      await db('lots').where({ id: 'nanfeng-rd' }).update({
        opening_hours: 'Mo-Fr 07:00-22:00', capacity_disabled: 4, capacity_charging: 10, fee: true,
        price_info: '首小时5元', price_info_en: 'CNY 5 the first hour', max_height_cm: 210, stale_after_s: 600,
      });
      const catalog = new Catalog({ db, bus: new Bus() });
      await catalog.start();
      const lot = catalog.get('nanfeng-rd')!;
      assert.deepEqual(
        [lot.openingHours, lot.capacityDisabled, lot.capacityCharging, lot.capacityFamily, lot.fee, lot.priceInfo, lot.priceInfoEn, lot.maxHeightCm, lot.staleAfterS],
        ['Mo-Fr 07:00-22:00', 4, 10, null, true, '首小时5元', 'CNY 5 the first hour', 210, 600],
      );
    });

    it('does not seed again on the next start, and migrating twice changes nothing', async () => {
      const catalog = new Catalog({ db: await connect(), bus: new Bus(), seed: seedLots() });
      await catalog.start();
      assert.equal(catalog.seeded, 0);
      assert.equal(catalog.size, 9);
    });

    it('links gateways to lots, and forgets the link when a lot is deleted (foreign keys on)', async () => {
      const db = await connect();
      const stamp = new Date().toISOString();
      await db('lots').insert({ ...(await db('lots').where({ id: 'nanfeng-rd' }).first()), id: 'doomed-lot' });
      await db('gateways').insert({ id: 'gw-1', name: 'North gate', created_at: stamp, updated_at: stamp });
      await db('gateway_lots').insert([{ gateway_id: 'gw-1', lot_id: 'nanfeng-rd' }, { gateway_id: 'gw-1', lot_id: 'doomed-lot' }]);
      const gateways = new GatewayRepository(db);
      assert.deepEqual(await gateways.list(), [{ id: 'gw-1', name: 'North gate', lotIds: ['doomed-lot', 'nanfeng-rd'] }]);
      await db('lots').where({ id: 'doomed-lot' }).delete();
      assert.deepEqual((await gateways.list())[0]!.lotIds, ['nanfeng-rd']);
      await db('gateways').delete();
    });

    it('lets two instances seed one database at once without failing or duplicating', async () => {
      const db = await connect();
      await db('lots').delete();
      const [a, b] = [new Catalog({ db: await connect(), bus: new Bus(), seed: seedLots() }), new Catalog({ db: await connect(), bus: new Bus(), seed: seedLots() })];
      await Promise.all([a.start(), b.start()]);
      assert.equal(a.size, 9);
      assert.equal(b.size, 9);
    });
  });
}

// The catalog on both SQL engines: migrations, seeding, row mapping.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { seedLots } from '../../db/seed.ts';
import { Catalog } from '../../server/catalog/catalog.ts';
import { createDatabase, migrate } from '../../server/catalog/db.ts';
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
      const catalog = new Catalog(await connect());
      assert.equal(await catalog.start(seedLots()), 9);
      assert.equal(catalog.size, 9);
      const lot = catalog.get('hangzhou-rd-7')!;
      assert.deepEqual(lot, {
        id: 'hangzhou-rd-7', name: '杭州路7号停车场', nameEn: 'Hangzhou Rd No. 7 Car Park', address: '市北区杭州路7号',
        lat: 36.0935, lon: 120.37, type: 'surface', status: 'under_construction', capacity: 32, staleAfterS: null,
      });
      assert.equal(typeof catalog.get('cruise-port')!.capacity, 'number');
    });

    it('does not seed again on the next start, and migrating twice changes nothing', async () => {
      const catalog = new Catalog(await connect());
      assert.equal(await catalog.start(seedLots()), 0);
      assert.equal(catalog.size, 9);
    });

    it('lets two instances seed one database at once without failing or duplicating', async () => {
      const db = await connect();
      await db('lots').delete();
      const [a, b] = [new Catalog(await connect()), new Catalog(await connect())];
      await Promise.all([a.start(seedLots()), b.start(seedLots())]);
      assert.equal(a.size, 9);
      assert.equal(b.size, 9);
    });
  });
}

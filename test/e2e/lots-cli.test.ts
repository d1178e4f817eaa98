// npm run lots, as an administrator runs it: import the shipped example files
// (a dry run first), again (nothing changes), a bad file (nothing stored, the
// row named, exit code 1), export as CSV and GeoJSON — on SQLite and
// PostgreSQL; and an import while the service runs with Redis, which reaches
// its open maps at once.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { seedLots } from '../../db/seed.ts';
import { api } from '../helpers/api.ts';
import { collectUpdates, connectSocket, eventually, startApp, subscribe, type TestApp, type TestSocket } from '../helpers/app.ts';
import { cleanRedisPrefix, createTestDatabase, REDIS_TEST_URL, requireService, uniqueName } from '../helpers/services.ts';

const run = promisify(execFile);

/** `npm run lots -- …` (tsx), in English (LANG=C) unless told otherwise; never throws: the exit code is in the answer. */
async function lots(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'server/cli/lots.ts', ...args], { env: { ...process.env, LANG: 'C', LC_ALL: '', ...env }, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const engines = [
  { name: 'sqlite', setup: async () => ({ env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'kongwei-lots-cli-')) }, cleanup: async () => {} }) },
  {
    name: 'postgresql',
    setup: async (ctx: Mocha.Context) => {
      await requireService(ctx, 'postgresql');
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url } as Record<string, string>, cleanup: db.drop };
    },
  },
];

for (const engine of engines) {
  describe(`npm run lots on ${engine.name}`, function () {
    this.timeout(120_000);
    let env: Record<string, string>;
    let cleanup = async () => {};
    let dir: string;
    before(async function () {
      ({ env, cleanup } = await engine.setup(this));
      dir = mkdtempSync(join(tmpdir(), 'kongwei-lots-files-'));
    });
    after(async () => {
      if (env?.DATA_DIR) rmSync(env.DATA_DIR, { recursive: true, force: true });
      if (dir) rmSync(dir, { recursive: true, force: true });
      await cleanup();
    });

    it('imports the example CSV: a dry run stores nothing, the import creates the 9 lots, a second one changes nothing', async () => {
      const dry = await lots(['import', 'db/examples/shibei-lots.csv', '--dry-run'], env);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stderr, /dry run, nothing stored: 9 created, 0 updated, 0 unchanged/);
      assert.match(dry.stdout, /^line 2\tcreated\tanshan-5th-rd$/m);
      assert.equal((await lots(['export'], env)).stdout.trim().split('\n').length, 1, 'only the header: nothing was stored');

      const first = await lots(['import', 'db/examples/shibei-lots.csv'], env);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /^9 created, 0 updated, 0 unchanged$/m);
      const again = await lots(['import', 'db/examples/shibei-lots.geojson'], env);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /nothing to change: 9 lots already as in the file/);
      assert.match(again.stdout, /^features\[0\]\tunchanged\tanshan-5th-rd$/m);
    });

    it('exports what it imported: the example files, byte for byte (CSV) and as [lon, lat] (GeoJSON)', async () => {
      const csv = await lots(['export', '--format', 'csv'], env);
      assert.equal(csv.stdout, readFileSync('db/examples/shibei-lots.csv', 'utf8'));
      const out = join(dir, 'lots.geojson');
      assert.equal((await lots(['export', '--format', 'geojson', '--out', out], env)).code, 0);
      const collection = JSON.parse(readFileSync(out, 'utf8')) as { features: { id: string; geometry: { coordinates: number[] } }[] };
      const nanfeng = seedLots().find((l) => l.id === 'nanfeng-rd')!;
      assert.deepEqual(collection.features.find((f) => f.id === 'nanfeng-rd')!.geometry.coordinates, [nanfeng.lon, nanfeng.lat]);
      assert.equal((await lots(['export', '--format', 'xml'], env)).code, 1);
    });

    it('refuses a file with a bad row as a whole: exit code 1, the line and field named (in Chinese with LANG=zh_CN)', async () => {
      const file = join(dir, 'bad.csv');
      writeFileSync(file, 'id,name,lat,lon,type,status,capacity\nnew-a,新停车场甲,36.09,120.37,surface,open,10\nnew-b,新停车场乙,36.09,120.37,surface,open,lots\n');
      const refused = await lots(['import', file], env);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /invalid import, nothing was stored/);
      assert.match(refused.stderr, /line 3 \(new-b\)\tcapacity\tInvalid input: expected number/);
      const zh = await lots(['import', file], { ...env, LANG: 'zh_CN.UTF-8' });
      assert.match(zh.stderr, /导入无效，未保存任何内容/);
      assert.match(zh.stderr, /line 3 \(new-b\)\tcapacity\t应为数字/);
      assert.doesNotMatch((await lots(['export'], env)).stdout, /new-a/, 'nothing stored');
    });
  });
}

describe('npm run lots while the service runs (SQLite and Redis)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let dir: string;
  let env: Record<string, string>;
  const prefix = `${uniqueName('kwtest:')}:`;
  const sockets: TestSocket[] = [];
  before(async function () {
    await requireService(this, 'redis');
    dir = mkdtempSync(join(tmpdir(), 'kongwei-lots-live-'));
    env = { DATA_DIR: dir, REDIS_URL: REDIS_TEST_URL, REDIS_KEY_PREFIX: prefix };
    t = await startApp({ ...env, ADMIN_TOKEN: 'test-admin-token-0123456789abcdef' }, { dataDir: dir });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await cleanRedisPrefix(prefix);
  });

  it('puts imported lots on open maps at once, owned by the operator given with --as', async () => {
    const socket = await connectSocket(t.app.httpUrl);
    sockets.push(socket);
    await subscribe(socket, { bbox: [120.3, 36.0, 120.45, 36.2] });
    const pushed = collectUpdates(socket);
    const created = await api(t.app.httpUrl, 'POST', '/api/operators', { token: 'test-admin-token-0123456789abcdef', body: { name: '市北停车' } });
    const file = join(dir, 'more.csv');
    writeFileSync(file, 'name,nameEn,lat,lon,type,status,capacity\n"延安路停车场, 北区",Yan\'an Rd North,36.087,120.358,underground,open,120\n');
    const imported = await lots(['import', file, '--as', created.body.id], env);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stdout, /^line 2\tcreated\tyan-an-rd-north$/m);
    const lot = await eventually(() => pushed.flat().find((l) => l.id === 'yan-an-rd-north'), 10_000, 'the imported lot pushed to the open map');
    assert.equal(lot.name, '延安路停车场, 北区');
    const mine = await api(t.app.httpUrl, 'GET', '/api/me/lots', { token: created.body.token });
    assert.deepEqual(mine.body.lots.map((l: { id: string }) => l.id), ['yan-an-rd-north']);
    assert.equal((await lots(['import', file, '--as', 'op-nobody'], env)).code, 1);
  });
});

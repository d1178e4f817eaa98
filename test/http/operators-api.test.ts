// The operators' API on both SQL engines: every status code of DESIGN.md §4,
// and nothing stored from a refused request.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { createTestDatabase, requireService } from '../helpers/services.ts';

interface Engine {
  name: string;
  env(ctx: Mocha.Context): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>;
}

const engines: Engine[] = [
  { name: 'sqlite', env: async () => ({ env: {}, cleanup: async () => {} }) },
  {
    name: 'postgresql',
    env: async (ctx) => {
      await requireService(ctx, 'postgresql');
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url }, cleanup: db.drop };
    },
  },
];

for (const engine of engines) {
  describe(`operators API on ${engine.name}`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let base: string;
    let cleanup = async () => {};
    let alice: { id: string; token: string };
    let bob: { id: string; token: string };

    /** Everything a refused request could have touched. */
    const snapshot = async () => ({
      lots: await t.app.db('lots').orderBy('id'),
      audit: await t.app.db('lot_audit').count({ n: '*' }),
      gateways: await t.app.db('gateways').count({ n: '*' }),
      operators: await t.app.db('operators').count({ n: '*' }),
      catalog: [...t.app.catalog.all()],
    });

    before(async function () {
      const setup = await engine.env(this);
      cleanup = setup.cleanup;
      t = await startApp({ ...setup.env, ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', AUTH_FAILURE_LIMIT: '100000' });
      base = t.app.httpUrl;
      alice = await createOperator(base, 'Alice 停车管理');
      bob = await createOperator(base, 'Bob Parking');
    });
    after(async () => {
      await t?.stop();
      await cleanup();
    });

    describe('accounts', () => {
      it('creates an operator with the admin token → 201, the token shown once and stored only as a hash', async () => {
        const { status, body } = await api(base, 'POST', '/api/operators', { token: ADMIN_TOKEN, body: { name: 'Carol' } });
        assert.equal(status, 201);
        assert.equal(body.role, 'operator');
        assert.match(body.token, /^kwo_[A-Za-z0-9_-]{43}$/);
        const rows = await t.app.db('operators').where({ id: body.id });
        assert.equal(rows.length, 1);
        assert.ok(!JSON.stringify(rows).includes(body.token), 'the token itself is not stored');
        const list = await api(base, 'GET', '/api/operators', { token: ADMIN_TOKEN });
        assert.equal(list.status, 200);
        assert.ok(list.body.operators.some((o: { id: string }) => o.id === body.id));
        assert.ok(!JSON.stringify(list.body).includes(body.token), 'never shown again');
        const me = await api(base, 'GET', '/api/me', { token: body.token });
        assert.deepEqual([me.status, me.body.operator.name, me.body.operator.role], [200, 'Carol', 'operator']);
      });

      it('refuses to create an operator without a token → 401, with a wrong one → 401, as an operator → 403; stores nothing', async () => {
        const before = await snapshot();
        const none = await api(base, 'POST', '/api/operators', { body: { name: 'Mallory' } });
        assert.deepEqual([none.status, none.body.error.code], [401, 'unauthorized']);
        assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
        const wrong = await api(base, 'POST', '/api/operators', { token: 'kwo_not-a-real-token', body: { name: 'Mallory' } });
        assert.deepEqual([wrong.status, wrong.body.error.code], [401, 'unauthorized']);
        const asOperator = await api(base, 'POST', '/api/operators', { token: alice.token, body: { name: 'Mallory' } });
        assert.deepEqual([asOperator.status, asOperator.body.error.code], [403, 'forbidden']);
        assert.deepEqual(await snapshot(), before);
      });

      it('disables an operator (admin) → 204: its token stops working at once; unknown → 404', async () => {
        const carol = await createOperator(base, 'Short-lived');
        assert.equal((await api(base, 'DELETE', `/api/operators/${carol.id}`, { token: alice.token })).status, 403);
        assert.equal((await api(base, 'DELETE', `/api/operators/${carol.id}`, { token: ADMIN_TOKEN })).status, 204);
        assert.equal((await api(base, 'GET', '/api/me', { token: carol.token })).status, 401);
        assert.equal((await api(base, 'DELETE', `/api/operators/${carol.id}`, { token: ADMIN_TOKEN })).status, 404);
      });

      it('answers a bad operator body → 400 naming the fields, malformed JSON → 400', async () => {
        const bad = await api(base, 'POST', '/api/operators', { token: ADMIN_TOKEN, body: { name: '', role: 'king' } });
        assert.equal(bad.status, 400);
        assert.deepEqual(Object.keys(bad.body.error.details.fields).sort(), ['name', 'role']);
        const malformed = await api(base, 'POST', '/api/operators', { token: ADMIN_TOKEN, raw: '{"name": "x",' });
        assert.deepEqual([malformed.status, malformed.body.error.code], [400, 'malformed_json']);
      });
    });

    describe('lots', () => {
      it('creates a lot → 201 with the lot, its id derived from the English name, shown at once by the read API', async () => {
        const before = t.app.catalog.size;
        const { status, body, headers } = await api<LotView>(base, 'POST', '/api/lots', { token: alice.token, body: newLot({ openingHours: '24/7', capacityDisabled: 2, fee: true, priceInfo: '每小时5元', maxHeightCm: 210 }) });
        assert.equal(status, 201, JSON.stringify(body));
        assert.equal(body.id, 'test-car-park');
        assert.equal(headers.get('location'), '/api/lots/test-car-park');
        assert.deepEqual([body.capacity, body.free, body.availability, body.capacityDisabled, body.fee, body.maxHeightCm], [40, null, 'unknown', 2, true, 210]);
        assert.equal(t.app.catalog.size, before + 1);
        const read = await api<LotView>(base, 'GET', '/api/lots/test-car-park');
        assert.deepEqual([read.status, read.body.name], [200, '测试停车场']);
      });

      it('derives a free id when the slug is taken, and pinyin for a Chinese-only name', async () => {
        const again = await api(base, 'POST', '/api/lots', { token: alice.token, body: newLot() });
        assert.deepEqual([again.status, again.body.id], [201, 'test-car-park-2']);
        const chinese = await api(base, 'POST', '/api/lots', { token: alice.token, body: newLot({ name: '辽宁路停车场', nameEn: null }) });
        assert.deepEqual([chinese.status, chinese.body.id], [201, 'liao-ning-lu-ting-che-chang']);
      });

      it('refuses a taken id → 409 and changes nothing', async () => {
        const before = await snapshot();
        const { status, body } = await api(base, 'POST', '/api/lots', { token: alice.token, body: newLot({ id: 'hangzhou-rd-7', name: 'Impostor' }) });
        assert.deepEqual([status, body.error.code], [409, 'conflict']);
        assert.deepEqual(body.error.details.fields, { id: ['is taken'] });
        assert.deepEqual(await snapshot(), before);
      });

      it('names every bad field → 400, and stores nothing', async () => {
        const before = await snapshot();
        const { status, body } = await api(base, 'POST', '/api/lots', {
          token: alice.token,
          body: {
            id: 'Bad Id!', name: '', lat: 95, lon: 'east', type: 'boat', status: 'soon', capacity: 10,
            capacityCharging: 11, openingHours: 'whenever we like', maxHeightCm: 20, staleAfterS: -5, fee: 'yes', colour: 'red',
          },
        });
        assert.equal(status, 400);
        assert.equal(body.error.code, 'validation_failed');
        assert.deepEqual(
          Object.keys(body.error.details.fields).sort(),
          ['capacityCharging', 'colour', 'fee', 'id', 'lat', 'lon', 'maxHeightCm', 'name', 'openingHours', 'staleAfterS', 'status', 'type'],
        );
        assert.match(body.error.details.fields.openingHours[0], /opening_hours/);
        assert.match(body.error.details.fields.capacityCharging[0], /capacity \(10\)/);
        const missing = await api(base, 'POST', '/api/lots', { token: alice.token, body: {} });
        assert.deepEqual(Object.keys(missing.body.error.details.fields).sort(), ['capacity', 'lat', 'lon', 'name', 'status', 'type']);
        const notObject = await api(base, 'POST', '/api/lots', { token: alice.token, body: [1, 2] });
        assert.equal(notObject.status, 400);
        assert.deepEqual(await snapshot(), before);
      });

      it('answers malformed JSON → 400 and no token → 401, storing nothing', async () => {
        const before = await snapshot();
        const malformed = await api(base, 'POST', '/api/lots', { token: alice.token, raw: '{"name": "x", lat: }' });
        assert.deepEqual([malformed.status, malformed.body.error.code], [400, 'malformed_json']);
        const anonymous = await api(base, 'POST', '/api/lots', { body: newLot({ id: 'anonymous-lot' }) });
        assert.deepEqual([anonymous.status, anonymous.body.error.code], [401, 'unauthorized']);
        assert.deepEqual(await snapshot(), before);
      });

      it('changes a lot for its owner → 200 with the new lot', async () => {
        const { status, body } = await api<LotView>(base, 'PATCH', '/api/lots/test-car-park', { token: alice.token, body: { capacity: 50, priceInfoEn: 'CNY 5 an hour', address: null } });
        assert.equal(status, 200, JSON.stringify(body));
        assert.deepEqual([body.capacity, body.priceInfoEn, body.address, body.name], [50, 'CNY 5 an hour', null, '测试停车场']);
        assert.equal(t.app.catalog.get('test-car-park')!.capacity, 50);
        const same = await api<LotView>(base, 'PATCH', '/api/lots/test-car-park', { token: alice.token, body: { capacity: 50 } });
        assert.deepEqual([same.status, same.body.capacity], [200, 50], 'a change to the same value is fine, and recorded nowhere');
      });

      it("refuses another operator's lot → 403, an unknown lot → 404, a bad change → 400 naming the field; changes nothing", async () => {
        const before = await snapshot();
        const other = await api(base, 'PATCH', '/api/lots/test-car-park', { token: bob.token, body: { name: 'Mine now' } });
        assert.deepEqual([other.status, other.body.error.code], [403, 'forbidden']);
        const seeded = await api(base, 'PATCH', '/api/lots/hangzhou-rd-7', { token: bob.token, body: { capacity: 1 } });
        assert.equal(seeded.status, 403, 'seeded lots belong to no operator');
        const unknown = await api(base, 'PATCH', '/api/lots/no-such-lot', { token: alice.token, body: { name: 'x' } });
        assert.deepEqual([unknown.status, unknown.body.error.code], [404, 'not_found']);
        const bad = await api(base, 'PATCH', '/api/lots/test-car-park', { token: alice.token, body: { capacity: 1, lat: 'north', capacityDisabled: 5, nmae: 'typo' } });
        assert.equal(bad.status, 400);
        assert.deepEqual(Object.keys(bad.body.error.details.fields).sort(), ['capacityDisabled', 'lat', 'nmae']);
        const lowered = await api(base, 'PATCH', '/api/lots/test-car-park', { token: alice.token, body: { capacity: 1 } });
        assert.deepEqual(Object.keys(lowered.body.error.details.fields), ['capacityDisabled'], 'a lowered capacity below a special capacity');
        const renamed = await api(base, 'PATCH', '/api/lots/test-car-park', { token: alice.token, body: { id: 'new-id' } });
        assert.deepEqual([renamed.status, Object.keys(renamed.body.error.details.fields)], [400, ['id']]);
        const malformed = await api(base, 'PATCH', '/api/lots/test-car-park', { token: alice.token, raw: 'capacity=3' });
        assert.equal(malformed.status, 400);
        const anonymous = await api(base, 'PATCH', '/api/lots/test-car-park', { body: { capacity: 3 } });
        assert.equal(anonymous.status, 401);
        assert.deepEqual(await snapshot(), before);
      });

      it('lets an admin change any lot, seeded ones included → 200', async () => {
        const { status, body } = await api<LotView>(base, 'PATCH', '/api/lots/hangzhou-rd-7', { token: ADMIN_TOKEN, body: { status: 'open' } });
        assert.deepEqual([status, body.status], [200, 'open']);
        const admin = await createOperator(base, 'District admin', 'admin');
        const byStoredAdmin = await api<LotView>(base, 'PATCH', '/api/lots/test-car-park', { token: admin.token, body: { nameEn: 'Test Car Park (North)' } });
        assert.deepEqual([byStoredAdmin.status, byStoredAdmin.body.nameEn], [200, 'Test Car Park (North)']);
      });

      it('lists the caller\'s own lots, with live views', async () => {
        const mine = await api(base, 'GET', '/api/me/lots', { token: alice.token });
        assert.equal(mine.status, 200);
        assert.deepEqual(mine.body.lots.map((l: LotView) => l.id).sort(), ['liao-ning-lu-ting-che-chang', 'test-car-park', 'test-car-park-2']);
        const bobs = await api(base, 'GET', '/api/me/lots', { token: bob.token });
        assert.deepEqual(bobs.body.lots, []);
        const all = await api(base, 'GET', '/api/me/lots', { token: ADMIN_TOKEN });
        assert.equal(all.body.lots.length, t.app.catalog.size);
      });

      it('keeps an audit trail: who changed what, when, from what to what; for the owner only', async () => {
        const { status, body } = await api(base, 'GET', '/api/lots/test-car-park/audit', { token: alice.token });
        assert.equal(status, 200);
        const entries = body.entries as { action: string; actor: { id: string; name: string }; at: string; changes: Record<string, { from: unknown; to: unknown }> }[];
        assert.deepEqual(entries.map((e) => e.action), ['lot.create', 'lot.update', 'lot.update']);
        assert.deepEqual(entries[0]!.actor, { id: alice.id, name: 'Alice 停车管理' });
        assert.deepEqual(entries[0]!.changes.capacity, { from: null, to: 40 });
        assert.deepEqual(entries[1]!.changes, {
          capacity: { from: 40, to: 50 }, priceInfoEn: { from: null, to: 'CNY 5 an hour' }, address: { from: '市北区测试路1号', to: null },
        });
        assert.ok(Math.abs(Date.parse(entries[1]!.at) - Date.now()) < 10 * 60_000);
        assert.equal(entries[2]!.actor.name, 'District admin');
        const other = await api(base, 'GET', '/api/lots/test-car-park/audit', { token: bob.token });
        assert.equal(other.status, 403);
        const unknown = await api(base, 'GET', '/api/lots/no-such-lot/audit', { token: alice.token });
        assert.equal(unknown.status, 404);
        const anonymous = await api(base, 'GET', '/api/lots/test-car-park/audit');
        assert.equal(anonymous.status, 401);
      });

      it("deletes a lot for its owner → 204, then 404; another operator's → 403", async () => {
        const before = await snapshot();
        const other = await api(base, 'DELETE', '/api/lots/test-car-park-2', { token: bob.token });
        assert.equal(other.status, 403);
        const anonymous = await api(base, 'DELETE', '/api/lots/test-car-park-2');
        assert.equal(anonymous.status, 401);
        assert.deepEqual(await snapshot(), before);
        const done = await api(base, 'DELETE', '/api/lots/test-car-park-2', { token: alice.token });
        assert.deepEqual([done.status, done.body], [204, undefined]);
        assert.equal(t.app.catalog.get('test-car-park-2'), undefined);
        assert.equal((await api(base, 'GET', '/api/lots/test-car-park-2')).status, 404);
        assert.equal((await api(base, 'DELETE', '/api/lots/test-car-park-2', { token: alice.token })).status, 404);
        const trail = await api(base, 'GET', '/api/lots/test-car-park-2/audit', { token: alice.token });
        assert.deepEqual(trail.body.entries.map((e: { action: string }) => e.action), ['lot.create', 'lot.delete'], 'the trail outlives the lot');
        assert.equal((await api(base, 'GET', '/api/lots/test-car-park-2/audit', { token: bob.token })).status, 403);
        // The id taken again by another operator: its trail starts afresh, the old one is not theirs to read.
        const reused = await api(base, 'POST', '/api/lots', { token: bob.token, body: newLot({ id: 'test-car-park-2' }) });
        assert.equal(reused.status, 201);
        const bobs = await api(base, 'GET', '/api/lots/test-car-park-2/audit', { token: bob.token });
        assert.deepEqual(bobs.body.entries.map((e: { action: string; actor: { id: string } }) => [e.action, e.actor.id]), [['lot.create', bob.id]]);
      });
    });
  });
}

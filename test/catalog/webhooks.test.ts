// The webhooks' outbox on both SQL engines: a transition queued by several
// instances is one row per webhook; one instance at a time holds a delivery;
// a crashed holder's lease runs out; a deleted webhook takes its log along;
// the log forgets old deliveries, never pending ones.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { createDatabase, migrate } from '../../server/catalog/db.ts';
import { WebhookRepository, type NewDelivery, type WebhookRecord } from '../../server/catalog/webhooks.ts';
import { createTestDatabase, requireService } from '../helpers/services.ts';

interface Engine {
  name: string;
  setup(ctx: Mocha.Context): Promise<{ db: Knex; cleanup: () => Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'sqlite',
    setup: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kongwei-webhooks-'));
      const db = createDatabase({ dataDir: dir });
      return { db, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'postgresql',
    setup: async (ctx) => {
      await requireService(ctx, 'postgresql');
      const fresh = await createTestDatabase();
      return { db: createDatabase({ databaseUrl: fresh.url, dataDir: '/nonexistent' }), cleanup: fresh.drop };
    },
  },
];

const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);

const webhook = (id: string, extra: Partial<WebhookRecord> = {}): WebhookRecord => ({
  id, ownerId: 'op-1', url: 'https://hooks.example.com/in', events: ['lot.full', 'gateway.offline'], description: null, enabled: true,
  createdAt: new Date(T0).toISOString(), updatedAt: new Date(T0).toISOString(), secretSealed: 'v1.x.y.z.w', ...extra,
});

const delivery = (webhookId: string, key: string, extra: Partial<NewDelivery> = {}): NewDelivery => ({
  webhookId, event: 'lot.full', subject: 'lot-a', state: 'firing', key, data: { state: 'firing', n: 1 }, occurredAt: T0, ...extra,
});

for (const engine of engines) {
  describe(`webhooks' outbox on ${engine.name}`, function () {
    this.timeout(30_000);
    let db: Knex;
    let repo: WebhookRepository;
    let cleanup = async () => {};

    before(async function () {
      const setup = await engine.setup(this);
      ({ db, cleanup } = setup);
      await migrate(db);
      repo = new WebhookRepository(db);
    });
    beforeEach(async () => {
      await db('webhook_deliveries').delete();
      await db('webhooks').delete();
      await repo.insert(webhook('wh-aaaaaaaaaa'));
      await repo.insert(webhook('wh-bbbbbbbbbb', { ownerId: 'op-2', enabled: false, description: '停车场 <b>', events: ['lot.changed'] }));
    });
    after(async () => {
      await db?.destroy();
      await cleanup();
    });

    it('reads webhooks back as they were written (booleans, times, events)', async () => {
      assert.deepEqual(await repo.get('wh-bbbbbbbbbb'), webhook('wh-bbbbbbbbbb', { ownerId: 'op-2', enabled: false, description: '停车场 <b>', events: ['lot.changed'] }));
      assert.deepEqual((await repo.list('op-1')).map((w) => w.id), ['wh-aaaaaaaaaa']);
      assert.deepEqual((await repo.enabled()).map((w) => w.id), ['wh-aaaaaaaaaa']);
      await repo.update('wh-bbbbbbbbbb', { enabled: true, events: ['lot.full'] }, T0 + 5000);
      const changed = (await repo.get('wh-bbbbbbbbbb'))!;
      assert.deepEqual([changed.enabled, changed.events, changed.updatedAt], [true, ['lot.full'], new Date(T0 + 5000).toISOString()]);
    });

    it('queues a transition once per webhook, however many instances offer it', async () => {
      await Promise.all([0, 1, 2].map(() => repo.enqueue([delivery('wh-aaaaaaaaaa', 'k1'), delivery('wh-bbbbbbbbbb', 'k1')])));
      await repo.enqueue([delivery('wh-aaaaaaaaaa', 'k1')]);
      const rows = await db('webhook_deliveries').orderBy('id');
      assert.deepEqual(rows.map((r: { webhook_id: string }) => r.webhook_id).sort(), ['wh-aaaaaaaaaa', 'wh-bbbbbbbbbb']);
      const [first] = await repo.deliveries('wh-aaaaaaaaaa', 10);
      assert.match(first!.deliveryId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual([first!.status, first!.attempts, first!.nextAttemptAt, first!.data], ['pending', 0, T0, { state: 'firing', n: 1 }]);
    });

    it('knows the last state announced for each webhook, event and subject', async () => {
      await repo.enqueue([delivery('wh-aaaaaaaaaa', 'k1')]);
      await repo.enqueue([delivery('wh-aaaaaaaaaa', 'k2', { state: 'resolved' }), delivery('wh-aaaaaaaaaa', 'k3', { subject: 'lot-b' })]);
      await repo.enqueue([delivery('wh-aaaaaaaaaa', 'k4', { event: 'gateway.offline', subject: 'gw-1' }), delivery('wh-aaaaaaaaaa', 'k5', { event: 'ping', subject: null, state: null })]);
      const last = await repo.lastStates(['wh-aaaaaaaaaa']);
      assert.deepEqual(
        [...last].map(([key, { state }]) => [key, state]).sort(),
        [['wh-aaaaaaaaaa\ngateway.offline\ngw-1', 'firing'], ['wh-aaaaaaaaaa\nlot.full\nlot-a', 'resolved'], ['wh-aaaaaaaaaa\nlot.full\nlot-b', 'firing']],
      );
    });

    it('lets one instance at a time hold a due delivery, and another take it when the lease runs out', async () => {
      await repo.enqueue([delivery('wh-aaaaaaaaaa', 'k1'), delivery('wh-aaaaaaaaaa', 'later', { occurredAt: T0 + 60_000 }), delivery('wh-bbbbbbbbbb', 'off')]);
      const due = await repo.due(T0, 10);
      assert.equal(due.length, 1, 'only what is due, of webhooks that are on');
      const id = due[0]!.deliveryId;
      const claims = await Promise.all(['i1', 'i2', 'i3'].map((owner) => repo.claim(id, owner, T0, T0 + 1000)));
      assert.equal(claims.filter(Boolean).length, 1);
      assert.deepEqual(await repo.due(T0 + 999, 10), [], 'held');
      // Its holder died: at the end of the lease another instance takes it.
      assert.equal((await repo.due(T0 + 1000, 10)).length, 1);
      assert.ok(await repo.claim(id, 'i9', T0 + 1000, T0 + 2000));
      // The first holder, back, cannot record over the new one's attempt.
      const winner = ['i1', 'i2', 'i3'][claims.indexOf(true)]!;
      await repo.finish(id, winner, { status: 'delivered', attempts: 1, at: T0 + 1500, nextAttemptAt: null, responseStatus: 200, error: null });
      assert.equal((await repo.delivery('wh-aaaaaaaaaa', id))!.status, 'pending');
      await repo.finish(id, 'i9', { status: 'pending', attempts: 1, at: T0 + 1500, nextAttemptAt: T0 + 30_000, responseStatus: 503, error: 'HTTP 503' });
      const after = (await repo.delivery('wh-aaaaaaaaaa', id))!;
      assert.deepEqual([after.status, after.attempts, after.responseStatus, after.lastError, after.nextAttemptAt, after.lastAttemptAt], ['pending', 1, 503, 'HTTP 503', T0 + 30_000, T0 + 1500]);
      assert.deepEqual(await repo.due(T0 + 29_999, 10).then((d) => d.map((x) => x.deliveryId)), []);
    });

    it('sends a failed delivery again from its first attempt under the same id', async () => {
      await repo.enqueue([delivery('wh-aaaaaaaaaa', 'k1')]);
      const [d] = await repo.deliveries('wh-aaaaaaaaaa', 1);
      assert.ok(await repo.claim(d!.deliveryId, 'i1', T0, T0 + 1000));
      await repo.finish(d!.deliveryId, 'i1', { status: 'failed', attempts: 12, at: T0 + 10, nextAttemptAt: null, responseStatus: 500, error: 'HTTP 500' });
      await repo.redeliver('wh-aaaaaaaaaa', d!.deliveryId, T0 + 20);
      const again = (await repo.delivery('wh-aaaaaaaaaa', d!.deliveryId))!;
      assert.deepEqual([again.status, again.attempts, again.nextAttemptAt], ['pending', 0, T0 + 20]);
    });

    it('deletes a webhook with its deliveries, and forgets old delivered and failed ones but never a pending one', async () => {
      const tagged = (tag: string, occurredAt = T0) => delivery('wh-aaaaaaaaaa', tag, { data: { tag }, occurredAt });
      await repo.enqueue([tagged('old-pending'), tagged('old-done'), tagged('new-done', T0 + 86_400_000)]);
      for (const d of await repo.deliveries('wh-aaaaaaaaaa', 10)) {
        if ((d.data as { tag: string }).tag === 'old-pending') continue;
        await repo.claim(d.deliveryId, 'i1', T0 + 86_400_000, T0 + 86_401_000);
        await repo.finish(d.deliveryId, 'i1', { status: 'delivered', attempts: 1, at: T0, nextAttemptAt: null, responseStatus: 204, error: null });
      }
      assert.equal(await repo.prune(T0 + 1), 1, 'the old delivered one');
      assert.deepEqual((await repo.deliveries('wh-aaaaaaaaaa', 10)).map((d) => (d.data as { tag: string }).tag), ['new-done', 'old-pending'], 'newest first');
      await repo.enqueue([delivery('wh-bbbbbbbbbb', 'k')]);
      assert.ok(await repo.delete('wh-aaaaaaaaaa'));
      assert.deepEqual((await db('webhook_deliveries').select('webhook_id')).map((r: { webhook_id: string }) => r.webhook_id), ['wh-bbbbbbbbbb']);
      assert.equal(await repo.delete('wh-aaaaaaaaaa'), false);
    });
  });
}

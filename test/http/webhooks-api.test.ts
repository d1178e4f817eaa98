// The webhooks API on both SQL engines: an operator's own webhooks (an
// administrator's: every one), the secret shown once and sealed at rest,
// targets in private networks refused in both languages, the test ping and
// the delivery log. Every answer is checked against the API description.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WEBHOOK_KEY_FILE } from '../../server/auth/webhook-secrets.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { ingestPost, newGateway } from '../helpers/ingest.ts';
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
  describe(`webhooks API on ${engine.name}`, function () {
    this.timeout(30_000);
    let t: TestApp;
    let base: string;
    let cleanup = async () => {};
    let receiver: Server;
    let hookUrl: string;
    const received: { event: string; delivery: string }[] = [];
    let alice: { id: string; token: string };
    let bob: { id: string; token: string };

    /** POST /api/webhooks in Chinese (api() speaks English). */
    const createInChinese = (token: string, body: Record<string, unknown>) =>
      fetch(`${base}/api/webhooks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-language': 'zh-CN' }, body: JSON.stringify(body) });

    before(async function () {
      const setup = await engine.env(this);
      cleanup = setup.cleanup;
      receiver = createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          received.push({ event: String(req.headers['x-kongwei-event']), delivery: String(req.headers['x-kongwei-delivery']) });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/kongwei`;
      // Only the test's receiver is allowed among the private addresses.
      t = await startApp({ ...setup.env, ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', AUTH_FAILURE_LIMIT: '100000', WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32' });
      base = t.app.httpUrl;
      alice = await createOperator(base, 'Alice');
      bob = await createOperator(base, 'Bob');
    });
    after(async () => {
      await t?.stop();
      receiver?.close();
      await cleanup();
    });

    it('creates a webhook → 201 with its secret once; the secret is stored sealed, under a key file only the service reads', async () => {
      const { status, body, headers } = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: hookUrl, events: ['lot.full', 'lot.changed'], description: 'Pager 值班' } });
      assert.equal(status, 201);
      assert.match(body.secret, /^kwh_[A-Za-z0-9_-]{43}$/);
      assert.equal(headers.get('location'), `/api/webhooks/${body.id}`);
      assert.deepEqual([body.ownerId, body.events, body.enabled, body.description], [alice.id, ['lot.full', 'lot.changed'], true, 'Pager 值班']);
      const rows = await t.app.db('webhooks').where({ id: body.id });
      assert.ok(!JSON.stringify(rows).includes(body.secret), 'not stored in the clear');
      assert.match(rows[0].secret_sealed, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
      assert.equal(statSync(join(t.dataDir, WEBHOOK_KEY_FILE)).mode & 0o777, 0o600);
      const shown = await api(base, 'GET', `/api/webhooks/${body.id}`, { token: alice.token });
      assert.equal(shown.status, 200);
      assert.equal(shown.body.secret, undefined, 'never shown again');
      const given = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: hookUrl, events: ['gateway.offline'], secret: 'my-own-receiver-secret-1234' } });
      assert.deepEqual([given.status, given.body.secret], [201, 'my-own-receiver-secret-1234']);
    });

    it('refuses targets in private and local networks, and hostnames resolving there → 400 naming url, in both languages; stores nothing', async () => {
      const before = await t.app.db('webhooks').count({ n: '*' });
      for (const url of ['http://10.0.0.1/hook', 'http://192.168.1.20/', 'http://169.254.169.254/latest/meta-data/', 'http://[::1]:8080/', 'http://[::ffff:10.0.0.1]/', 'http://127.0.0.2/', 'http://2130706434/']) {
        const { status, body } = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url, events: ['lot.full'] } });
        assert.deepEqual([status, body.error.code], [400, 'validation_failed'], url);
        assert.match(body.error.details.fields.url[0], /webhooks may not reach private or local networks unless WEBHOOK_ALLOW_PRIVATE/, url);
      }
      const zh = await createInChinese(alice.token, { url: 'http://10.0.0.1/hook', events: ['lot.full'] });
      const answer = (await zh.json()) as { error: { message: string; details: { fields: Record<string, string[]> } } };
      assert.equal(zh.headers.get('content-language'), 'zh-CN');
      assert.equal(answer.error.details.fields.url![0], '10.0.0.1是私有网络地址：除非 WEBHOOK_ALLOW_PRIVATE 允许该网段，Webhook 不能访问私有或本地网络');
      assert.match(answer.error.message, /^Webhook无效：url：/);
      assert.deepEqual(await t.app.db('webhooks').count({ n: '*' }), before);
    });

    it('refuses bad input → 400 naming every bad field, in both languages', async () => {
      const { status, body } = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: 'ftp://x', events: ['lot.exploded'], secret: 'short', owner: 'op-x' } });
      assert.equal(status, 400);
      assert.deepEqual(Object.keys(body.error.details.fields).sort(), ['events.0', 'owner', 'secret', 'url']);
      const zh = await createInChinese(alice.token, { url: 'ftp://x', events: [], secret: 'short' });
      const fields = ((await zh.json()) as { error: { details: { fields: Record<string, string[]> } } }).error.details.fields;
      assert.deepEqual(fields, { url: ['应以 http:// 或 https:// 开头'], events: ['至少 1 项'], secret: ['至少 16 个字符'] });
    });

    it('shows an operator its own webhooks only, an administrator every one; another\'s → 403; none → 401', async () => {
      const bobs = await api(base, 'POST', '/api/webhooks', { token: bob.token, body: { url: hookUrl, events: ['lot.changed'] } });
      assert.equal(bobs.status, 201);
      const mine = await api(base, 'GET', '/api/webhooks', { token: alice.token });
      assert.ok(mine.body.webhooks.length >= 2 && mine.body.webhooks.every((w: { ownerId: string }) => w.ownerId === alice.id));
      assert.ok(!JSON.stringify(mine.body).includes('kwh_'), 'no secret in a list');
      const all = await api(base, 'GET', '/api/webhooks', { token: ADMIN_TOKEN });
      assert.ok(all.body.webhooks.some((w: { id: string }) => w.id === bobs.body.id));
      for (const [method, path] of [['GET', ''], ['PATCH', ''], ['DELETE', ''], ['POST', '/test'], ['GET', '/deliveries']] as const) {
        const answer = await api(base, method, `/api/webhooks/${bobs.body.id}${path}`, { token: alice.token, ...(method === 'PATCH' ? { body: { enabled: false } } : {}) });
        assert.deepEqual([answer.status, answer.body.error.code], [403, 'forbidden'], `${method} ${path}`);
      }
      assert.equal((await api(base, 'GET', `/api/webhooks/${bobs.body.id}`, { token: ADMIN_TOKEN })).status, 200);
      assert.equal((await api(base, 'GET', '/api/webhooks/wh-0000000000', { token: alice.token })).status, 404);
      assert.equal((await api(base, 'GET', '/api/webhooks/not-a-webhook-id', { token: alice.token })).status, 404);
      assert.equal((await api(base, 'GET', '/api/webhooks')).status, 401);
      assert.equal((await api(base, 'POST', '/api/webhooks', { body: { url: hookUrl, events: ['lot.full'] } })).status, 401);
    });

    it('changes only the fields sent; a new target is checked again and a refused one changes nothing', async () => {
      const created = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: hookUrl, events: ['lot.full'] } });
      const changed = await api(base, 'PATCH', `/api/webhooks/${created.body.id}`, { token: alice.token, body: { events: ['lot.clamped', 'lot.stale'], enabled: false, description: null } });
      assert.equal(changed.status, 200);
      assert.deepEqual([changed.body.events, changed.body.enabled, changed.body.url], [['lot.stale', 'lot.clamped'], false, hookUrl]);
      const refused = await api(base, 'PATCH', `/api/webhooks/${created.body.id}`, { token: alice.token, body: { url: 'http://10.1.1.1/' } });
      assert.deepEqual([refused.status, Object.keys(refused.body.error.details.fields)], [400, ['url']]);
      assert.equal((await api(base, 'GET', `/api/webhooks/${created.body.id}`, { token: alice.token })).body.url, hookUrl);
      assert.equal((await api(base, 'DELETE', `/api/webhooks/${created.body.id}`, { token: alice.token })).status, 204);
      assert.equal((await api(base, 'GET', `/api/webhooks/${created.body.id}`, { token: alice.token })).status, 404);
    });

    it('pings a webhook → 202, delivered and in the log; sends it again under the same id', async () => {
      const created = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: hookUrl, events: ['lot.full'] } });
      const ping = await api(base, 'POST', `/api/webhooks/${created.body.id}/test`, { token: alice.token });
      assert.equal(ping.status, 202);
      assert.deepEqual([ping.body.event, ping.body.status, ping.body.attempts], ['ping', 'pending', 0]);
      const delivered = await eventually(async () => {
        const log = await api(base, 'GET', `/api/webhooks/${created.body.id}/deliveries`, { token: alice.token });
        return log.body.deliveries[0]?.status === 'delivered' && log.body.deliveries[0];
      }, 10_000, 'the ping delivered');
      assert.deepEqual([delivered.id, delivered.attempts, delivered.responseStatus, delivered.nextAttemptAt, delivered.error], [ping.body.id, 1, 204, null, null]);
      const again = await api(base, 'POST', `/api/webhooks/${created.body.id}/deliveries/${ping.body.id}/redeliver`, { token: alice.token });
      assert.deepEqual([again.status, again.body.id, again.body.status], [202, ping.body.id, 'pending']);
      await eventually(() => received.filter((r) => r.delivery === ping.body.id).length === 2, 10_000, 'the second delivery');
      assert.equal((await api(base, 'POST', `/api/webhooks/${created.body.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`, { token: alice.token })).status, 404);
      const limited = await api(base, 'GET', `/api/webhooks/${created.body.id}/deliveries?limit=0`, { token: alice.token });
      assert.deepEqual([limited.status, Object.keys(limited.body.error.details.fields)], [400, ['limit']]);
    });

    it('tells a webhook of the lots its operator manages, and an administrator\'s of every lot', async () => {
      const hooks = await Promise.all([alice, bob, { token: ADMIN_TOKEN }].map((who) => api(base, 'POST', '/api/webhooks', { token: who.token, body: { url: hookUrl, events: ['lot.changed'] } })));
      const lot = await api(base, 'POST', '/api/lots', { token: alice.token, body: newLot({ nameEn: 'Webhook Test Car Park' }) });
      assert.equal(lot.status, 201);
      await t.app.alerts.flush();
      const told = async (id: string) => (await api(base, 'GET', `/api/webhooks/${id}/deliveries`, { token: ADMIN_TOKEN })).body.deliveries.filter((d: { subject: string }) => d.subject === lot.body.id);
      const [alices, bobs, admins] = await Promise.all(hooks.map((h) => told(h.body.id)));
      assert.deepEqual([alices.length, bobs.length, admins.length], [1, 0, 1]);
      assert.deepEqual([alices[0].event, alices[0].state], ['lot.changed', null]);
    });

    it('tells an operator of a gateway an administrator made for its lot going offline', async () => {
      const hook = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: hookUrl, events: ['gateway.offline'] } });
      const lot = await api(base, 'POST', '/api/lots', { token: alice.token, body: newLot({ nameEn: 'Gateway Alerts Car Park' }) });
      const gateway = await newGateway(base, [lot.body.id]); // made with ADMIN_TOKEN: the gateway is the administrator's
      assert.equal((await ingestPost(base, `/api/ingest/gateways/${gateway.id}/status`, 'offline', gateway)).status, 200);
      await t.app.alerts.flush();
      const log = await api(base, 'GET', `/api/webhooks/${hook.body.id}/deliveries`, { token: alice.token });
      assert.deepEqual(log.body.deliveries.map((d: { event: string; subject: string; state: string }) => [d.event, d.subject, d.state]), [['gateway.offline', gateway.id, 'firing']]);
    });
  });
}

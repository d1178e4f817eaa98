// Alerts for operators, end to end (DESIGN.md §4, "Alerts"): an operator's
// webhook points at a receiver on loopback (allowed by WEBHOOK_ALLOW_PRIVATE),
// which fails the first attempts and then accepts. The service's clock is the
// test's: retries come when the test moves it, never by the wall clock.
// Checked: the HMAC of every attempt, the delivery id stable across retries,
// the backoff, and exactly the transitions expected — a lot filling and
// freeing, a drifting count clamped, a gateway going offline and back, a lot
// going stale and fresh, a lot edited — and none of them for another operator.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewGatewayAnswer } from '../../server/domain/operator-api.ts';
import type { DeliveryView } from '../../server/domain/webhooks.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { eventually, startApp, type TestApp } from '../helpers/app.ts';
import { ingestPost } from '../helpers/ingest.ts';
import { webhookReceiver, type Received, type Receiver } from '../helpers/webhook-receiver.ts';

const T0 = Date.parse('2026-11-30T02:00:00.000Z');
const SECRET = 'receiver-secret-0123456789';
const RETRY_BASE_MS = 60_000;
/** Longer than the retries take, so the lot turns stale only when the test says so. */
const STALE_AFTER_S = 3600;

describe('end to end: webhooks deliver signed, retried alerts to an allowed loopback receiver', function () {
  this.timeout(60_000);
  let now = T0;
  const clock = () => now;
  let t: TestApp;
  let base: string;
  let receiver: Receiver;
  let others: Receiver;
  let alice: { id: string; token: string };
  let lotId: string;
  let gateway: NewGatewayAnswer;
  let webhookId: string;
  /** How many deliveries the receiver had seen before the step under way. */
  let seen = 0;
  /** The sensor time of the newest count sent; each next one is newer, and follows the clock. */
  let heard = T0;
  const count = (occupied: number) => {
    heard = Math.max(heard, now) + 1000;
    return ingest(`/api/ingest/lots/${lotId}/count`, { occupied, ts: heard });
  };

  const ingest = (path: string, body: unknown) => ingestPost(base, path, body, gateway).then((answer) => assert.equal(answer.status, 200, JSON.stringify(answer.body)));
  const log = async (): Promise<DeliveryView[]> => (await api(base, 'GET', `/api/webhooks/${webhookId}/deliveries`, { token: alice.token })).body.deliveries;
  /** What the receiver was told since the last step, as `event state` (in the order queued), once everything heard is delivered. */
  const told = async (expected: number): Promise<string[]> => {
    await eventually(async () => {
      await t.app.alerts.flush();
      await t.app.webhookDispatcher.tick();
      return receiver.deliveries().length >= seen + expected;
    }, 10_000, `${expected} more deliveries`);
    await t.app.alerts.flush();
    await t.app.webhookDispatcher.tick();
    const fresh = receiver.deliveries().slice(seen).sort((a, b) => a.body.sequence - b.body.sequence);
    seen += fresh.length;
    return fresh.map((d) => `${d.event} ${d.body.data.state ?? d.body.data.change}`);
  };

  before(async () => {
    // The first two attempts of the first alert fail (an error, then a redirect); everything else is accepted.
    let firstDelivery: string | undefined;
    receiver = await webhookReceiver({
      secret: () => SECRET,
      clock,
      answer: (attempt, body) => {
        if (body.event === 'lot.full' && body.data.state === 'firing') firstDelivery ??= body.id;
        if (body.id !== firstDelivery) return 200;
        return attempt === 1 ? 503 : attempt === 2 ? 302 : 200;
      },
    });
    others = await webhookReceiver({ secret: () => 'unused-secret-0123456789' });
    t = await startApp(
      { ADMIN_TOKEN, WRITE_RATE_LIMIT: '100000', HTTP_INGEST_RATE_LIMIT: '100000', STALE_AFTER_S: String(STALE_AFTER_S), WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS), WEBHOOK_POLL_MS: '600000' },
      { clock },
    );
    base = t.app.httpUrl;
    alice = await createOperator(base, 'Alice');
    const bob = await createOperator(base, 'Bob');
    const everything = ['gateway.offline', 'lot.stale', 'lot.clamped', 'lot.full', 'lot.changed'];
    const hook = await api(base, 'POST', '/api/webhooks', { token: alice.token, body: { url: receiver.url, events: everything, secret: SECRET } });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    webhookId = hook.body.id;
    assert.equal((await api(base, 'POST', '/api/webhooks', { token: bob.token, body: { url: others.url, events: everything } })).status, 201);
    const lot = await api(base, 'POST', '/api/lots', { token: alice.token, body: newLot({ nameEn: 'Alerts Car Park', capacity: 10 }) });
    lotId = lot.body.id;
    gateway = (await api<NewGatewayAnswer>(base, 'POST', `/api/lots/${lotId}/gateways`, { token: alice.token, body: { name: 'entrance' } })).body;
  });
  after(async () => {
    await t?.stop();
    await receiver?.close();
    await others?.close();
  });

  it('tells of the new lot at once (lot.changed)', async () => {
    assert.deepEqual(await told(1), ['lot.changed added']);
    const [changed] = receiver.deliveries();
    assert.equal(changed!.body.data.lot.id, lotId);
    assert.equal(changed!.body.data.changes.capacity.to, 10);
  });

  it('retries a failed delivery with backoff under the same delivery id, signed at every attempt, until the receiver accepts', async () => {
    await count(10);
    await eventually(async () => {
      await t.app.alerts.flush();
      await t.app.webhookDispatcher.tick();
      return (await log()).find((d) => d.event === 'lot.full')?.attempts === 1;
    }, 10_000, 'the first attempt');
    let [entry] = (await log()).filter((d) => d.event === 'lot.full');
    assert.deepEqual([entry!.status, entry!.state, entry!.responseStatus, entry!.error], ['pending', 'firing', 503, 'HTTP 503: receiver says no']);
    const firstWait = Date.parse(entry!.nextAttemptAt!) - now;
    assert.ok(firstWait >= RETRY_BASE_MS / 2 && firstWait <= RETRY_BASE_MS, `first wait ${firstWait} ms`);

    // Nothing is due until the clock says so.
    now += firstWait - 1;
    await t.app.webhookDispatcher.tick();
    assert.equal(receiver.received.filter((r) => r.delivery === entry!.id).length, 1);
    now += 1;
    await t.app.webhookDispatcher.tick();
    [entry] = (await log()).filter((d) => d.event === 'lot.full');
    assert.deepEqual([entry!.attempts, entry!.responseStatus], [2, 302]);
    assert.match(entry!.error!, /^HTTP 302 \(redirects are not followed\)/);
    const secondWait = Date.parse(entry!.nextAttemptAt!) - now;
    assert.ok(secondWait >= RETRY_BASE_MS && secondWait <= 2 * RETRY_BASE_MS, `second wait ${secondWait} ms: doubled`);

    now += secondWait;
    await t.app.webhookDispatcher.tick();
    [entry] = (await log()).filter((d) => d.event === 'lot.full');
    assert.deepEqual([entry!.status, entry!.attempts, entry!.responseStatus, entry!.nextAttemptAt, entry!.deliveredAt], ['delivered', 3, 200, null, new Date(now).toISOString()]);

    const attempts = receiver.received.filter((r) => r.delivery === entry!.id);
    assert.equal(attempts.length, 3, 'the redirect was not followed: three requests, all here');
    for (const [i, a] of attempts.entries()) {
      assert.ok(a.verified, `attempt ${i + 1}: the HMAC of the raw body checks out, sentAt is fresh`);
      assert.deepEqual([a.body.id, a.body.attempt, a.event, a.headers['content-type'], a.headers['user-agent']], [entry!.id, i + 1, 'lot.full', 'application/json', 'Kongwei-Webhooks/0.1.0']);
      assert.equal(a.headers['x-kongwei-signature'], a.headers['x-kongwei-signature']?.toString().match(/^sha256=[0-9a-f]{64}$/)?.[0]);
    }
    assert.deepEqual(new Set(attempts.map((a) => a.body.sentAt)).size, 3, 'each attempt signed afresh, with its own time');
    assert.equal(attempts[0]!.body.data.lot.free, 0);
    assert.deepEqual(await told(1), ['lot.full firing']);
  });

  it('tells of a count clamped once, not while it stays clamped, and of both conditions ending', async () => {
    await count(14);
    assert.deepEqual(await told(1), ['lot.clamped firing'], 'full already: only the clamping is news');
    await count(12);
    await count(5);
    assert.deepEqual(await told(2), ['lot.full resolved', 'lot.clamped resolved']);
  });

  it('tells of a gateway going offline, and its lot turning stale with it, and of both coming back', async () => {
    await ingest(`/api/ingest/gateways/${gateway.id}/status`, 'offline');
    assert.deepEqual((await told(2)).sort(), ['gateway.offline firing', 'lot.stale firing']);
    const stale = receiver.deliveries().find((d) => d.event === 'lot.stale')!;
    assert.deepEqual([stale.body.data.reason, stale.body.data.lot.offline], ['gateway_offline', true]);
    const offline = receiver.deliveries().find((d) => d.event === 'gateway.offline')!;
    assert.deepEqual(offline.body.data.gateway, { id: gateway.id, name: 'entrance', lotIds: [lotId] });
    await ingest(`/api/ingest/gateways/${gateway.id}/status`, 'offline'); // the same status again: no news
    await ingest(`/api/ingest/gateways/${gateway.id}/status`, 'online');
    assert.deepEqual((await told(2)).sort(), ['gateway.offline resolved', 'lot.stale resolved']);
  });

  it('tells of a lot going stale as time passes, and fresh again when it is heard from', async () => {
    now = heard + STALE_AFTER_S * 1000 + 1000;
    assert.deepEqual(await told(1), ['lot.stale firing']);
    assert.equal(receiver.deliveries().at(-1)!.body.data.reason, 'no_data');
    await ingest(`/api/ingest/lots/${lotId}/heartbeat`, { ts: now });
    assert.deepEqual(await told(1), ['lot.stale resolved']);
  });

  it('tells of an edit with each field from what to what', async () => {
    assert.equal((await api(base, 'PATCH', `/api/lots/${lotId}`, { token: alice.token, body: { priceInfoEn: 'CNY 4 an hour' } })).status, 200);
    assert.deepEqual(await told(1), ['lot.changed changed']);
    assert.deepEqual(receiver.deliveries().at(-1)!.body.data.changes, { priceInfoEn: { from: null, to: 'CNY 4 an hour' } });
  });

  it('told exactly these transitions, each once, all verified — and nothing of Alice\'s lot to another operator', async () => {
    await t.app.alerts.flush();
    await t.app.webhookDispatcher.tick();
    const all = receiver.deliveries().sort((a, b) => a.body.sequence - b.body.sequence).map((d) => `${d.event} ${d.body.data.state ?? d.body.data.change}`);
    assert.deepEqual(all.slice(0, 5), ['lot.changed added', 'lot.full firing', 'lot.clamped firing', 'lot.full resolved', 'lot.clamped resolved']);
    assert.deepEqual(all.slice(5, 9).sort(), ['gateway.offline firing', 'gateway.offline resolved', 'lot.stale firing', 'lot.stale resolved']);
    assert.deepEqual(all.slice(9), ['lot.stale firing', 'lot.stale resolved', 'lot.changed changed']);
    assert.ok(receiver.received.every((r) => r.verified));
    assert.equal(receiver.received.length, all.length + 2, 'one delivery retried twice; every other delivered at its first attempt');
    assert.deepEqual(others.received, []);
    const entries = await log();
    assert.equal(entries.length, all.length);
    assert.ok(entries.every((e) => e.status === 'delivered'));
  });
});

describe('end to end: a webhook delivery queued before a restart is delivered after it', function () {
  this.timeout(60_000);
  let now = T0;
  const clock = () => now;
  let accepting = false;
  let receiver: Receiver;
  const dataDir = mkdtempSync(join(tmpdir(), 'kongwei-webhook-restart-'));
  const env = { ADMIN_TOKEN, WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32', WEBHOOK_RETRY_BASE_MS: String(RETRY_BASE_MS), WEBHOOK_POLL_MS: '600000' };
  after(async () => {
    await receiver?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the delivery in the outbox across the restart, and sends it under the same id, signed with the same secret', async () => {
    receiver = await webhookReceiver({ secret: () => SECRET, clock, answer: () => (accepting ? 200 : 503) });
    let t = await startApp(env, { clock, dataDir });
    const alice = await createOperator(t.app.httpUrl, 'Alice');
    const hook = await api(t.app.httpUrl, 'POST', '/api/webhooks', { token: alice.token, body: { url: receiver.url, events: ['lot.changed'], secret: SECRET } });
    await api(t.app.httpUrl, 'POST', '/api/lots', { token: alice.token, body: newLot({ nameEn: 'Restart Car Park' }) });
    await eventually(async () => {
      await t.app.alerts.flush();
      await t.app.webhookDispatcher.tick();
      return receiver.received.length === 1;
    }, 10_000, 'the first attempt');
    await t.stop();

    accepting = true;
    t = await startApp(env, { clock, dataDir });
    try {
      now += 2 * RETRY_BASE_MS;
      await t.app.webhookDispatcher.tick();
      assert.equal(receiver.received.length, 2);
      const [before, after] = receiver.received as [Received, Received];
      assert.deepEqual([after.delivery, after.body.attempt, after.status], [before.delivery, 2, 200]);
      assert.ok(after.verified, 'the secret sealed before the restart opens after it (the key file in DATA_DIR)');
      const log = await api(t.app.httpUrl, 'GET', `/api/webhooks/${hook.body.id}/deliveries`, { token: alice.token });
      assert.deepEqual(log.body.deliveries.map((d: DeliveryView) => [d.id, d.status, d.attempts]), [[before.delivery, 'delivered', 2]]);
    } finally {
      await t.stop();
    }
  });
});

// What a Socket.IO client can make the service hold (DESIGN.md §4, "Limits"):
// subscriptions keep only lots that exist and areas of a bounded number of
// lots, memory per socket stays small whatever it asks, one subscribe is
// answered at a time, messages are small, and sockets per address are capped.
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { io as ioClient } from 'socket.io-client';
import { MAX_SNAPSHOT_LOTS, type SubscribeAck } from '../../server/domain/contract.ts';
import { connectSocket, startApp, subscribe, type TestApp, type TestSocket } from '../helpers/app.ts';
import { addLots, generatedLots } from '../helpers/lots.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
};
const madeUpId = (socket: number, i: number) => `x${String(socket).padStart(4, '0')}-${String(i).padStart(4, '0')}-${'f'.repeat(53)}`;

describe('socket limits: what a subscription may hold', function () {
  this.timeout(60_000);
  let t: TestApp;
  const sockets: TestSocket[] = [];
  const open = async () => {
    const socket = await connectSocket(t.app.httpUrl);
    sockets.push(socket);
    return socket;
  };
  before(async () => {
    t = await startApp();
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.disconnect();
  });
  after(async () => t?.stop());

  it('drops ids of lots that do not exist: the snapshot has the known ones; only made-up ids subscribe to nothing', async () => {
    const s = await open();
    const ids = [...Array.from({ length: 999 }, (_, i) => madeUpId(0, i)), 'hangzhou-rd-7'];
    assert.equal(ids[0]!.length, 64);
    const answer = await subscribe(s, { ids });
    assert.ok('lots' in answer);
    assert.deepEqual(answer.lots.map((l) => l.id), ['hangzhou-rd-7']);
    const none = await subscribe(s, { ids: [madeUpId(0, 0)] });
    assert.deepEqual(none, { lots: [] });
  });

  it('costs a few KB per socket, not 178 KB, for 1,000 made-up 64-character ids each', async () => {
    const count = 100;
    const many = await Promise.all(Array.from({ length: count }, () => open()));
    for (const s of many) await subscribe(s, { ids: ['hangzhou-rd-7'] });
    const before = await heapUsed();
    for (const [n, s] of many.entries()) await subscribe(s, { ids: Array.from({ length: 1000 }, (_, i) => madeUpId(n, i)) });
    const perSocketKb = ((await heapUsed()) - before) / count / 1024;
    assert.ok(perSocketKb < 10, `each socket's subscription costs ${perSocketKb.toFixed(1)} KB`);
  });

  it('costs a bounded amount per socket for 1,000 real ids in distinct subsets too', async () => {
    await addLots(t.app, generatedLots(1200, 'mem'));
    const count = 60;
    const many = await Promise.all(Array.from({ length: count }, () => open()));
    // Measured three times, the least counting: whatever else this process does meanwhile (the
    // suites before this one share it) can only add to the heap.
    const costs: number[] = [];
    for (let round = 0; round < 3; round++) {
      for (const s of many) await subscribe(s, { ids: ['hangzhou-rd-7'] });
      const before = await heapUsed();
      // Every socket its own subset: no two share a room.
      for (const [n, s] of many.entries()) {
        const answer = await subscribe(s, { ids: Array.from({ length: 1000 }, (_, i) => `mem-${(i + n + round * 7) % 1200}`), fields: 'live' });
        assert.ok('lots' in answer && answer.lots.length === 1000);
      }
      costs.push(((await heapUsed()) - before) / count / 1024);
    }
    const perSocketKb = Math.min(...costs);
    assert.ok(perSocketKb < 25, `each socket's subscription costs ${perSocketKb.toFixed(1)} KB (${costs.map((c) => c.toFixed(1)).join(', ')})`);
  });

  it(`refuses an area holding more than ${MAX_SNAPSHOT_LOTS} lots (validation_failed), and takes a smaller one`, async () => {
    await addLots(t.app, generatedLots(MAX_SNAPSHOT_LOTS, 'area'));
    const s = await open();
    const world = await subscribe(s, { bbox: [-180, -90, 180, 90] });
    assert.ok('error' in world);
    assert.equal(world.error.code, 'validation_failed');
    assert.match(world.error.message, /more than 10000/);
    const district = await subscribe(s, { bbox: [120.36, 36.06, 120.38, 36.08] });
    assert.ok('lots' in district && district.lots.length > 0 && district.lots.length < MAX_SNAPSHOT_LOTS);
  });

  it('answers one subscribe of a socket at a time: of 50 sent at once, the newest is answered, those it replaced are superseded', async () => {
    const s = await open();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => s.timeout(10_000).emitWithAck('subscribe', { ids: [i % 2 ? 'hangzhou-rd-7' : 'cruise-port'] }) as Promise<SubscribeAck>));
    const snapshots = answers.filter((a) => 'lots' in a);
    const superseded = answers.filter((a) => 'error' in a && a.error.code === 'superseded');
    assert.equal(snapshots.length + superseded.length, 50, 'every subscribe answered');
    assert.ok(snapshots.length <= 5, `${snapshots.length} snapshots built for 50 subscribes sent at once`);
    const last = answers[49]!;
    assert.ok('lots' in last && last.lots[0]!.id === 'hangzhou-rd-7', 'the newest always answered');
  });

  it('closes a socket that sends a message larger than 100 KB', async () => {
    const s = await open();
    const closed = new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));
    s.emit('subscribe', { ids: ['hangzhou-rd-7'], padding: 'x'.repeat(200_000) } as never, () => {});
    assert.match(await closed, /transport (close|error)|parse error/);
  });
});

describe('socket limits: sockets per address', function () {
  this.timeout(30_000);
  let t: TestApp;
  const sockets: TestSocket[] = [];
  const open = (forwardedFor?: string) =>
    new Promise<TestSocket>((resolve, reject) => {
      const socket: TestSocket = ioClient(t.app.httpUrl, {
        transports: ['websocket'], reconnection: false, forceNew: true,
        ...(forwardedFor ? { extraHeaders: { 'x-forwarded-for': forwardedFor } } : {}),
      });
      sockets.push(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', reject);
    });
  before(async () => {
    t = await startApp({ SOCKETS_PER_IP: '3', TRUST_PROXY: 'loopback' });
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await t?.stop();
  });

  it('refuses sockets beyond SOCKETS_PER_IP from one client (behind a trusted proxy, by X-Forwarded-For), and takes others', async () => {
    const first = await Promise.all([open('203.0.113.7'), open('203.0.113.7'), open('203.0.113.7')]);
    await assert.rejects(open('203.0.113.7'));
    const other = await open('203.0.113.8');
    assert.ok(other.connected, 'another client behind the same proxy');
    first[0]!.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    const again = await open('203.0.113.7');
    assert.ok(again.connected, 'a slot freed by a disconnect');
    assert.ok('lots' in (await subscribe(again, { ids: ['hangzhou-rd-7'] })));
  });
});

// The benchmark's socket crowd (bench/sockets.ts), as the soak runs it: bare
// WebSocket clients that subscribe, answer pings and count pushes without
// parsing them, and count every disconnection they did not ask for; and the
// socket.io-client crowd counting the map's row pushes too.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import type { MqttClient } from 'mqtt';
import { countTopic } from '../../server/domain/events.ts';
import type { SocketsCommand, SocketsJob, SocketsMessage } from '../../bench/sockets.ts';
import { connectMqtt, publish, startApp, type TestApp } from '../helpers/app.ts';

const SHIBEI: [number, number, number, number] = [120.31, 36.06, 120.4, 36.12];
// The service's clock: a fixed moment, running on (the counts' ts are near it).
const T0 = Date.parse('2026-06-01T04:00:00Z');
const origin = performance.now();
const clock = () => T0 + Math.round(performance.now() - origin);

function crowd(job: SocketsJob) {
  const child: ChildProcess = fork(new URL('../../bench/sockets.ts', import.meta.url).pathname, [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<SocketsMessage>((resolve, reject) => {
      child.once('message', (m) => resolve(m as SocketsMessage));
      child.once('exit', (code) => reject(new Error(`sockets.ts exited (${code})`)));
    });
  const ask = async (cmd: SocketsCommand) => {
    const answer = next();
    child.send(cmd);
    return answer;
  };
  return { child, next, ask };
}

describe('bench: the socket crowd', function () {
  this.timeout(60_000);
  let t: TestApp | undefined;
  let mqtt: MqttClient | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill();
    await mqtt?.endAsync(true);
    await t?.stop();
    t = undefined;
  });

  for (const raw of [true, false]) {
    it(`${raw ? 'bare WebSocket' : 'socket.io-client'} clients subscribe as the map does, count its pushes, and count the disconnections they did not ask for`, async () => {
      t = await startApp({}, { clock });
      mqtt = await connectMqtt(t.app.mqtt.url);
      const c = crowd({ url: t.app.httpUrl, clients: 4, bbox: SHIBEI, fields: 'rows', raw });
      children.push(c.child);
      const ready = await c.next();
      assert.deepEqual(ready, { type: 'ready', connected: 4, failed: 0 });
      for (let i = 1; i <= 3; i++) {
        await publish(mqtt, countTopic('parking', 'hangzhou-rd-7'), { occupied: i, ts: clock() });
        await new Promise((r) => setTimeout(r, 150));
      }
      let stats = await c.ask({ cmd: 'stats' });
      assert.equal(stats.type, 'stats');
      if (stats.type !== 'stats') return;
      // Each of the 4 had at least one push of the changes (pushes are coalesced: up to one per change).
      assert.ok(stats.pushes >= 4 && stats.pushes <= 4 * 3 + 4, `${stats.pushes} pushes`);
      assert.deepEqual([stats.connected, stats.connects, stats.failed, stats.dropped], [4, 4, 0, {}]);
      // The service goes away: every client was dropped, none left.
      await t.stop();
      t = undefined;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        stats = await c.ask({ cmd: 'stats' });
        if (stats.type === 'stats' && Object.values(stats.dropped).reduce((a, b) => a + b, 0) === 4) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(stats.type === 'stats' && Object.values(stats.dropped).reduce((a, b) => a + b, 0) === 4, JSON.stringify(stats));
      assert.equal(stats.type === 'stats' && stats.connected, 0);
    });
  }
});

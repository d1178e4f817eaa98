// The command-line tools, as a person runs them: `npm run operators -- add`
// on SQLite and PostgreSQL (its token works against the service at once),
// and the Mosquitto password_file / acl_file they print, loaded into a real
// Mosquitto: a gateway publishes for its lot and for no other.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { MqttClient } from 'mqtt';
import { api, newLot } from '../helpers/api.ts';
import { connectMqtt, eventually, publish, startApp, type TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/private-services.ts';
import { createTestDatabase, requireService, tcpAnswers } from '../helpers/services.ts';

const run = promisify(execFile);
const MOSQUITTO = process.env.MOSQUITTO_PATH ?? '/usr/sbin/mosquitto';

/** Runs an npm script's command as `npm run` would (tsx), with the given environment. */
async function cli(script: 'operators' | 'gateways', args: string[], env: Record<string, string>): Promise<string> {
  const { stdout } = await run('npx', ['tsx', `server/cli/${script}.ts`, ...args], { env: { ...process.env, ...env }, timeout: 60_000 });
  return stdout;
}

const engines = [
  { name: 'sqlite', setup: async () => ({ env: { DATA_DIR: mkdtempSync(join(tmpdir(), 'kongwei-cli-')) }, cleanup: async () => {} }) },
  {
    name: 'postgresql',
    setup: async (ctx: Mocha.Context) => {
      await requireService(ctx, 'postgresql');
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url }, cleanup: db.drop };
    },
  },
];

for (const engine of engines) {
  describe(`npm run operators on ${engine.name}`, function () {
    this.timeout(90_000);
    let env: Record<string, string>;
    let cleanup = async () => {};
    let t: TestApp | undefined;
    before(async function () {
      ({ env, cleanup } = await engine.setup(this));
    });
    after(async () => {
      await t?.stop();
      if (env?.DATA_DIR) rmSync(env.DATA_DIR, { recursive: true, force: true });
      await cleanup();
    });

    it('adds an operator and prints its token, which the service accepts', async () => {
      const token = (await cli('operators', ['add', '市北停车 Ltd'], env)).trim();
      assert.match(token, /^kwo_[A-Za-z0-9_-]{43}$/);
      const listed = await cli('operators', ['list'], env);
      assert.match(listed, /\toperator\t.*\t市北停车 Ltd$/m);
      assert.ok(!listed.includes(token), 'list never shows a token');
      t = await startApp(env, env.DATA_DIR ? { dataDir: env.DATA_DIR } : {});
      const me = await api(t.app.httpUrl, 'GET', '/api/me', { token });
      assert.deepEqual([me.status, me.body.operator.name], [200, '市北停车 Ltd']);
      const created = await api(t.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id: 'cli-lot' }) });
      assert.equal(created.status, 201);
    });
  });
}

const answers = (port: number) => tcpAnswers(`tcp://127.0.0.1:${port}`, port);

describe('Mosquitto password_file and acl_file from npm run gateways', function () {
  this.timeout(90_000);
  let t: TestApp;
  let dir: string;
  let mosquitto: ChildProcess | undefined;
  let port: number;
  let gateway: { id: string; secret: string };
  const clients: MqttClient[] = [];
  const SERVICE = { MQTT_USERNAME: 'kongwei', MQTT_PASSWORD: 'service-password-for-tests' };

  before(async function () {
    if (!existsSync(MOSQUITTO)) {
      const reason = `Mosquitto is not installed at ${MOSQUITTO} (apt-get install mosquitto)`;
      if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${reason}; CI=true requires it`);
      console.warn(`      ⚠ skipped: ${reason}`);
      this.skip();
    }
    t = await startApp({ ADMIN_TOKEN: 'test-admin-token-0123456789abcdef' });
    const token = 'test-admin-token-0123456789abcdef';
    for (const id of ['mq-lot-a', 'mq-lot-b']) assert.equal((await api(t.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id }) })).status, 201);
    const created = await api(t.app.httpUrl, 'POST', '/api/lots/mq-lot-a/gateways', { token, body: {} });
    gateway = { id: created.body.id, secret: created.body.secret };

    dir = mkdtempSync(join(tmpdir(), 'kongwei-mosquitto-'));
    chmodSync(dir, 0o755); // Mosquitto started as root reads its files as the mosquitto user
    const env = { DATA_DIR: t.dataDir, ...SERVICE };
    writeFileSync(join(dir, 'passwd'), await cli('gateways', ['mosquitto-passwd'], env));
    writeFileSync(join(dir, 'acl'), await cli('gateways', ['mosquitto-acl'], env));
    port = await freePort();
    writeFileSync(join(dir, 'mosquitto.conf'), [
      `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${join(dir, 'passwd')}`, `acl_file ${join(dir, 'acl')}`, 'persistence false', '',
    ].join('\n'));
    mosquitto = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    mosquitto.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await eventually(() => answers(port), 10_000, 'Mosquitto listening').catch((err: Error) => {
      throw new Error(`${err.message}; Mosquitto said: ${stderr.trim() || '(nothing)'}`);
    });
  });
  after(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => {});
    mosquitto?.kill();
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const connect = async (username: string, password: string) => {
    const client = await connectMqtt(`mqtt://127.0.0.1:${port}`, { username, password });
    clients.push(client);
    return client;
  };

  it('lets the gateway publish for its lot only, with the secret it was given, and refuses a wrong secret', async () => {
    const watcher = await connect(SERVICE.MQTT_USERNAME, SERVICE.MQTT_PASSWORD);
    const seen: string[] = [];
    watcher.on('message', (topic, payload) => seen.push(`${topic} ${payload.toString()}`));
    await watcher.subscribeAsync('parking/#', { qos: 1 });

    const gw = await connect(gateway.id, gateway.secret);
    await publish(gw, 'parking/lots/mq-lot-b/count', { occupied: 1 }); // not its lot: Mosquitto drops it
    await publish(gw, 'parking/lots/mq-lot-a/availability', { free: 1 }); // the service's topic
    await publish(gw, 'parking/lots/mq-lot-a/count', { occupied: 2 });
    await eventually(() => seen.some((m) => m.startsWith('parking/lots/mq-lot-a/count')), 10_000, 'the allowed message');
    assert.deepEqual(seen, ['parking/lots/mq-lot-a/count {"occupied":2}'], 'only the allowed message went through (in order, after the refused ones)');

    await assert.rejects(connect(gateway.id, 'kwg_wrong-secret'), /Not authorized|Bad username or password/i);
    await assert.rejects(connect('gw-unknown', gateway.secret), /Not authorized|Bad username or password/i);
  });
});

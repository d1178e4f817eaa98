// What the service says at start when its embedded broker takes anyone
// (MQTT_AUTH=off, server/app.ts warnAnonymous): a warning in the log on
// loopback, where only this machine can publish; from the network, a loud
// WARNING on the console as well, so an operator who reads no logs sees it.
import assert from 'node:assert/strict';
import { startApp, type TestApp } from './helpers/app.ts';
import { captureLogs, LEVELS, type LogLine } from './helpers/logs.ts';

/** Starts the service with its log captured and console.warn caught (only while it starts). */
async function startWatched(env: Record<string, string>): Promise<{ t: TestApp; lines: LogLine[]; console: string[] }> {
  const { log, lines } = captureLogs('info');
  const printed: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void printed.push(args.map(String).join(' '));
  try {
    return { t: await startApp(env, { log }), lines, console: printed };
  } finally {
    console.warn = warn;
  }
}

const aboutMqttAuth = (lines: LogLine[]) => lines.filter((line) => line.level >= LEVELS.warn && /MQTT_AUTH/.test(line.msg));

describe('the start warning when the embedded broker takes anonymous clients (MQTT_AUTH off)', function () {
  this.timeout(30_000);
  const running: TestApp[] = [];
  afterEach(async () => {
    for (const t of running.splice(0)) await t.stop();
  });

  it('MQTT_AUTH=off on loopback → one warning in the log that this machine can publish; nothing on the console', async () => {
    const { t, lines, console: printed } = await startWatched({ MQTT_HOST: '127.0.0.1', MQTT_AUTH: 'off' });
    running.push(t);
    const warnings = aboutMqttAuth(lines);
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.equal(warnings[0]!.level, LEVELS.warn);
    assert.equal(warnings[0]!.mqttHost, '127.0.0.1');
    assert.match(warnings[0]!.msg, /MQTT_AUTH is off: any program on this machine can publish/);
    assert.deepEqual(printed, []);
  });

  it('MQTT_AUTH=off on 0.0.0.0 → a WARNING in the log and on the console, naming the address and what to set', async () => {
    const { t, lines, console: printed } = await startWatched({ MQTT_HOST: '0.0.0.0', MQTT_AUTH: 'off' });
    running.push(t);
    const warnings = aboutMqttAuth(lines);
    assert.equal(warnings.length, 1, JSON.stringify(lines));
    assert.deepEqual([warnings[0]!.mqttHost, warnings[0]!.mqttAuth], ['0.0.0.0', false]);
    assert.match(warnings[0]!.msg, /^WARNING: MQTT_AUTH=off and the embedded broker listens on 0\.0\.0\.0:\d+: anyone who can reach that port can publish/);
    assert.equal(printed.length, 1, JSON.stringify(printed));
    assert.equal(printed[0], `kongwei: ${warnings[0]!.msg}`);
    assert.match(printed[0]!, /Set MQTT_AUTH=on \(the default\)/);
  });

  it('says nothing of the kind with gateway auth on (the default on 0.0.0.0)', async () => {
    const { t, lines, console: printed } = await startWatched({ MQTT_HOST: '0.0.0.0' });
    running.push(t);
    assert.equal(t.app.config.MQTT_AUTH, true);
    assert.deepEqual(aboutMqttAuth(lines), []);
    assert.deepEqual(printed, []);
  });
});

import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../server/config.ts';

describe('configuration', () => {
  it('starts with embedded defaults on an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.PORT, 3000);
    assert.equal(config.MQTT_PORT, 1883);
    assert.equal(config.MQTT_BASE_TOPIC, 'parking');
    assert.equal(config.STALE_AFTER_S, 900);
    assert.equal(config.DATABASE_URL, undefined);
    assert.equal(config.REDIS_URL, undefined);
    assert.equal(config.MQTT_URL, undefined);
    assert.equal(config.CITY_ID, 'shibei');
    // Sockets every 50 ms at most (a p99 of 100 ms needs it), the retained availability every 100 ms.
    assert.deepEqual([config.PUSH_INTERVAL_MS, config.AVAILABILITY_INTERVAL_MS], [50, 100]);
  });

  it('reads a Redis Cluster as a list of host:port nodes', () => {
    assert.deepEqual(loadConfig({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-2.internal:7001,[::1]:7002' }).REDIS_CLUSTER_NODES, ['10.0.0.1:7000', 'redis-2.internal:7001', '[::1]:7002']);
    assert.equal(loadConfig({ REDIS_CLUSTER_NODES: '' }).REDIS_CLUSTER_NODES, undefined);
  });

  it('turns gateway auth on by default unless the embedded broker listens on loopback only', () => {
    assert.deepEqual([loadConfig({}).MQTT_AUTH, loadConfig({}).MQTT_AUTH_EXPLICIT], [true, false]);
    assert.equal(loadConfig({ MQTT_HOST: '0.0.0.0' }).MQTT_AUTH, true);
    assert.equal(loadConfig({ MQTT_HOST: '192.168.1.20' }).MQTT_AUTH, true);
    for (const host of ['127.0.0.1', '::1', 'localhost']) assert.equal(loadConfig({ MQTT_HOST: host }).MQTT_AUTH, false, host);
    assert.deepEqual([loadConfig({ MQTT_AUTH: 'off' }).MQTT_AUTH, loadConfig({ MQTT_AUTH: 'off' }).MQTT_AUTH_EXPLICIT], [false, true]);
    assert.equal(loadConfig({ MQTT_HOST: '127.0.0.1', MQTT_AUTH: 'on' }).MQTT_AUTH, true);
  });

  it('lets webhooks reach no private range by default, and the ranges WEBHOOK_ALLOW_PRIVATE lists; refuses a bad one naming it, and hides the sealing key', () => {
    const config = loadConfig({});
    assert.deepEqual([config.WEBHOOK_ALLOW_PRIVATE, config.WEBHOOK_MAX_ATTEMPTS, config.WEBHOOK_TIMEOUT_MS, config.WEBHOOK_SECRET_KEY], [[], 12, 10_000, undefined]);
    const allowed = loadConfig({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32, 10.0.0.0/8,fd00::/8, 192.168.1.5' }).WEBHOOK_ALLOW_PRIVATE;
    assert.deepEqual(allowed.map((c) => [c.version, c.prefix]), [[4, 32], [4, 8], [6, 8], [4, 32]]);
    assert.throws(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE: '127.0.0.1/32,intranet' }), (err: ConfigError) => /WEBHOOK_ALLOW_PRIVATE=.*"intranet" is not an address or CIDR range/.test(err.message));
    assert.throws(() => loadConfig({ WEBHOOK_SECRET_KEY: 'too-short-a-key' }), (err: ConfigError) => err.message.includes('WEBHOOK_SECRET_KEY=(hidden)') && !err.message.includes('too-short'));
  });

  it('has safe defaults for the embedded broker, the sockets and /metrics', () => {
    const config = loadConfig({});
    assert.deepEqual(
      [config.MQTT_MAX_PACKET_BYTES, config.MQTT_MAX_CONNECT_BYTES, config.MQTT_CONNECT_TIMEOUT_MS, config.MQTT_MAX_CONNECTIONS_PER_IP, config.MQTT_AUTH_FAILURES_PER_MINUTE],
      [65_536, 8192, 10_000, 32, 20],
    );
    assert.equal(config.SOCKETS_PER_IP, 256);
    assert.equal(config.METRICS_TOKEN, undefined);
  });

  it('treats empty values as unset', () => {
    assert.equal(loadConfig({ REDIS_URL: '', PORT: '' }).PORT, 3000);
  });

  const bad: [Record<string, string>, string][] = [
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ DATABASE_URL: 'mysql://x@y/z' }, 'DATABASE_URL'],
    [{ MQTT_URL: 'http://broker' }, 'MQTT_URL'],
    [{ MQTT_BASE_TOPIC: 'parking/#' }, 'MQTT_BASE_TOPIC'],
    [{ STALE_AFTER_S: '0' }, 'STALE_AFTER_S'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
    [{ REDIS_CLUSTER_NODES: '10.0.0.1' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'redis://10.0.0.1:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    [{ MQTT_MAX_PACKET_BYTES: '10' }, 'MQTT_MAX_PACKET_BYTES'],
    [{ MQTT_MAX_CONNECTIONS_PER_IP: '0' }, 'MQTT_MAX_CONNECTIONS_PER_IP'],
    [{ SOCKETS_PER_IP: 'many' }, 'SOCKETS_PER_IP'],
    [{ CITY_ID: 'Qingdao Shibei' }, 'CITY_ID'],
  ];
  for (const [env, name] of bad) {
    it(`refuses ${JSON.stringify(env)}, naming ${name}`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && err.message.includes(`${name}=`));
    });
  }

  it('never repeats a password or token in its error', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://user:s3cret@db/x', ADMIN_TOKEN: 'tiny-secret' }),
      (err: unknown) => err instanceof ConfigError && !err.message.includes('s3cret') && !err.message.includes('tiny-secret'),
    );
  });
});

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

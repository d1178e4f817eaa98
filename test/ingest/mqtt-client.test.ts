// How the service subscribes on an external broker: plain for one connection,
// a shared group for several (or when one is set, for several instances).
import assert from 'node:assert/strict';
import { loadConfig } from '../../server/config.ts';
import { ingestClientId, sharedGroupFor, subscriptionFilters } from '../../server/ingest/mqtt-client.ts';

describe('external broker subscriptions', () => {
  it('keeps plain subscriptions for one connection, and shares them among several', () => {
    assert.equal(sharedGroupFor(1, undefined), null);
    assert.equal(sharedGroupFor(4, undefined), 'kongwei');
    assert.equal(sharedGroupFor(1, 'parking-ingest'), 'parking-ingest');
    assert.deepEqual(subscriptionFilters(['parking/lots/+/count'], 'kongwei'), ['$share/kongwei/parking/lots/+/count']);
    assert.deepEqual(subscriptionFilters(['parking/lots/+/count'], null), ['parking/lots/+/count']);
  });

  it('gives each connection its own stable client id, the first keeping MQTT_CLIENT_ID', () => {
    assert.deepEqual([0, 1, 2].map((i) => ingestClientId('kongwei-ingest', i)), ['kongwei-ingest', 'kongwei-ingest-2', 'kongwei-ingest-3']);
  });

  it('reads MQTT_INGEST_CONNECTIONS and MQTT_SHARED_GROUP, refusing bad values', () => {
    const config = loadConfig({ MQTT_INGEST_CONNECTIONS: '4', MQTT_SHARED_GROUP: 'kw_a' });
    assert.deepEqual([config.MQTT_INGEST_CONNECTIONS, config.MQTT_SHARED_GROUP], [4, 'kw_a']);
    assert.equal(loadConfig({}).MQTT_INGEST_CONNECTIONS, 1);
    assert.throws(() => loadConfig({ MQTT_INGEST_CONNECTIONS: '0' }), /MQTT_INGEST_CONNECTIONS/);
    assert.throws(() => loadConfig({ MQTT_SHARED_GROUP: 'a/b' }), /MQTT_SHARED_GROUP/);
  });
});

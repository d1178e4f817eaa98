// HTTP ingest's limit on failed authentications (AUTH_FAILURE_LIMIT per
// address and 15 minutes, server/http/ingest-routes.ts requireGateway): it
// stops guessing from an address, and never refuses a valid gateway's
// credential from that address — a barrier vendor's server speaks for many
// gateways, one of them misconfigured must not lock the others out.
import assert from 'node:assert/strict';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { ingestPost, newGateway } from '../helpers/ingest.ts';

describe('HTTP ingest: the failed-authentication limit (AUTH_FAILURE_LIMIT=2)', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startApp({ ADMIN_TOKEN, AUTH_FAILURE_LIMIT: '2' });
  });
  after(async () => t?.stop());

  it('refuses the third bad Basic login from an address → 429, and still takes the valid gateway from it → 200', async () => {
    const base = t.app.httpUrl;
    const gateway = await newGateway(base, ['hangzhou-rd-7']);
    const post = (credential: { id: string; secret: string }, occupied: number) => ingestPost(base, '/api/ingest/lots/hangzhou-rd-7/count', { occupied }, credential);

    const bad = [{ id: gateway.id, secret: 'kwg_wrong-secret' }, { id: 'gw-nobody', secret: gateway.secret }, { id: gateway.id, secret: `${gateway.secret}x` }];
    const statuses = [];
    for (const credential of bad) statuses.push((await post(credential, 1)).status);
    assert.deepEqual(statuses, [401, 401, 429], 'the limit is in force for this address');

    const valid = await post(gateway, 12);
    assert.equal(valid.status, 200, JSON.stringify(valid.body));
    assert.deepEqual(valid.body, { results: [{ outcome: 'applied' }] });
    // A success does not lift the limit for the guesses, nor do the guesses block the next valid post.
    assert.equal((await post(bad[0]!, 1)).status, 429);
    assert.equal((await post(gateway, 13)).status, 200);
  });
});

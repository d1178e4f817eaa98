// Finding lots by text over HTTP (GET /api/lots?q=), and a lot's own link
// (/lots/{id}): the map page, or a 404 for a lot that does not exist.
import assert from 'node:assert/strict';
import type { LotView } from '../../server/domain/lot.ts';
import { getJson, startApp, type TestApp } from '../helpers/app.ts';
import { addLots, testLot } from '../helpers/lots.ts';

describe('http: finding lots by name, pinyin and address (q)', () => {
  let t: TestApp;
  const ids = async (query: string) => (await getJson<{ lots: LotView[] }>(t.app.httpUrl, `/api/lots?${query}`)).body.lots.map((l) => l.id);

  before(async () => {
    t = await startApp({ TILE_CRS: 'gcj02', TILE_SUBDOMAINS: '1234', TILE_MAX_ZOOM: '18' });
    await addLots(t.app, [
      // Two lots named alike, one near Nanfeng Rd, one far: equally good matches, the nearer first with near.
      testLot({ id: 'nanfeng-east', name: '南丰东停车场', nameEn: 'Nanfeng East Car Park', lat: 36.087, lon: 120.37, capacityCharging: 4 }),
      testLot({ id: 'nanfeng-far', name: '南丰远停车场', nameEn: 'Nanfeng Far Car Park', lat: 36.2, lon: 120.5 }),
      // "nfl" only in its address.
      testLot({ id: 'corner-lot', name: '街角停车位', nameEn: 'Corner Parking', address: '市北区南丰路与聊城路交界', lat: 36.09, lon: 120.36 }),
    ]);
  });
  after(async () => {
    await t?.stop();
  });

  it('finds by pinyin initials, names before addresses, best match first', async () => {
    assert.deepEqual(await ids('q=nfl'), ['nanfeng-rd', 'corner-lot']);
    assert.deepEqual(await ids('q=%E5%8D%97%E4%B8%B0%E8%B7%AF'), ['nanfeng-rd', 'corner-lot'], '南丰路');
    assert.deepEqual(await ids('q=cruise'), ['cruise-port']);
    assert.deepEqual(await ids('q=zxqy'), []);
  });

  it('orders equally good matches by distance with near (each with distanceM), else by id', async () => {
    assert.deepEqual(await ids('q=nanfeng'), ['nanfeng-east', 'nanfeng-far', 'nanfeng-rd', 'corner-lot']);
    const { body } = await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots?q=nanfeng&near=36.2,120.5');
    assert.deepEqual(body.lots.map((l) => l.id), ['nanfeng-far', 'nanfeng-rd', 'nanfeng-east', 'corner-lot']);
    assert.ok(body.lots.every((l) => typeof l.distanceM === 'number'));
  });

  it('combines q with the other filters and the limit, and answers GeoJSON too', async () => {
    assert.deepEqual(await ids('q=nanfeng&features=ev'), ['nanfeng-east']);
    assert.deepEqual(await ids('q=nanfeng&limit=2'), ['nanfeng-east', 'nanfeng-far']);
    // Within 4 km: the two names first, nearer first; the address match (corner-lot, 0 m away) after them.
    assert.deepEqual(await ids('q=nanfeng&near=36.09,120.36&radius=4000'), ['nanfeng-east', 'nanfeng-rd', 'corner-lot']);
    const collection = (await (await fetch(`${t.app.httpUrl}/api/lots.geojson?q=nfl`)).json()) as { features: { id: string }[] };
    assert.deepEqual(collection.features.map((f) => f.id), ['nanfeng-rd', 'corner-lot']);
  });

  it('answers 400 naming q when it has no letter or digit or is too long, in the asker’s language', async () => {
    for (const q of ['', '%20%2C', 'a'.repeat(101)]) {
      const { status, body } = await getJson<{ error: { code: string; details: { fields: Record<string, string[]> } } }>(t.app.httpUrl, `/api/lots?q=${q}`);
      assert.equal(status, 400, q);
      assert.deepEqual(Object.keys(body.error.details.fields), ['q']);
    }
    const res = await fetch(`${t.app.httpUrl}/api/lots?q=%2C`, { headers: { 'Accept-Language': 'zh-CN' } });
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /应含有文字、字母或数字/);
  });

  it('describes q in the API description', async () => {
    const { body } = await getJson<{ paths: Record<string, { get: { parameters: { name: string; description?: string }[] } }> }>(t.app.httpUrl, '/api/openapi.json');
    const q = body.paths['/api/lots']!.get.parameters.find((p) => p.name === 'q');
    assert.match(q?.description ?? '', /pinyin/);
    assert.ok(body.paths['/api/lots.geojson']!.get.parameters.some((p) => p.name === 'q'));
  });

  it('serves the map at /lots/{id}: 200 for a lot, 404 (still the map) for none, with the tile settings', async () => {
    const found = await fetch(`${t.app.httpUrl}/lots/nanfeng-rd`);
    assert.equal(found.status, 200);
    const html = await found.text();
    assert.match(html, /id="find-input"/);
    assert.match(html, /data-tile-crs="gcj02" /);
    assert.match(html, /data-tile-subdomains="1234" /);
    assert.match(html, /data-tile-max-zoom="18" /);
    const missing = await fetch(`${t.app.httpUrl}/lots/no-such-lot`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await missing.text(), /id="map"/);
    assert.equal((await fetch(`${t.app.httpUrl}/lots/nanfeng-rd/extra`)).status, 404);
  });
});

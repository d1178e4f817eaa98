// Map tiles drawn in GCJ-02 (TILE_CRS=gcj02, as Amap's and Tencent's are),
// in headless Chromium. The tiles are served by the test (a blank PNG for
// every tile), so where Leaflet puts each tile is where the tile server's
// grid is: a marker must sit where its lot's GCJ-02 point projects on that
// grid (not where its WGS-84 point would, some 480 px away at zoom 17); the
// area the page subscribes to must be the view converted back to WGS-84; the
// driver's dot too; a click on the operator's map must be stored in WGS-84.
import assert from 'node:assert/strict';
import gcoord from 'gcoord';
import type { Browser, Page, WebSocketRoute } from 'playwright-core';
import type { BBox } from '../../server/domain/geo.ts';
import type { LotView } from '../../server/domain/lot.ts';
import { ADMIN_TOKEN, createOperator } from '../helpers/api.ts';
import { getJson, startApp, type TestApp } from '../helpers/app.ts';
import { launchBrowser, offlinePage } from '../helpers/browser.ts';

const TILE = 256;
/** A 1 × 1 transparent PNG: every tile. */
const BLANK_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const TILES = /^https:\/\/t[0-7]\.(tiles|labels)\.example\.test\//;

/** Web Mercator, as the tile servers (and Leaflet's EPSG:3857) number their pixels at a zoom. */
function project(lat: number, lon: number, zoom: number): { x: number; y: number } {
  const scale = TILE * 2 ** zoom;
  const sin = Math.sin((lat * Math.PI) / 180);
  return { x: ((lon + 180) / 360) * scale, y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * scale };
}
function unproject(x: number, y: number, zoom: number): { lat: number; lon: number } {
  const scale = TILE * 2 ** zoom;
  return { lon: (x / scale) * 360 - 180, lat: (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / scale))) * 180) / Math.PI };
}
const toGcj = (lat: number, lon: number) => {
  const [x, y] = gcoord.transform([lon, lat], gcoord.WGS84, gcoord.GCJ02);
  return { lat: y, lon: x };
};
const toWgs = (lat: number, lon: number) => {
  const [x, y] = gcoord.transform([lon, lat], gcoord.GCJ02, gcoord.WGS84);
  return { lat: y, lon: x };
};

/** What the page shows now: one tile of the current zoom (its grid numbers and where it is), the map's box, the markers. */
async function screen(page: Page) {
  return page.evaluate(() => {
    const zoom = Number(document.getElementById('map')!.dataset.zoom ?? 14);
    const tiles = [...document.querySelectorAll<HTMLImageElement>('#map .leaflet-layer:not(.tile-labels) img.leaflet-tile')]
      .map((img) => ({ img, match: /\/(\d+)\/(\d+)\/(\d+)\.png$/.exec(img.src) }))
      .filter(({ match }) => match && Number(match[1]) === zoom);
    const { img, match } = tiles[0]!;
    const box = img.getBoundingClientRect();
    const map = document.getElementById('map')!.getBoundingClientRect();
    const markers = [...document.querySelectorAll<HTMLElement>('.lot-marker-icon')].map((icon) => {
      const r = icon.getBoundingClientRect();
      return { id: icon.querySelector<HTMLElement>('.lot-marker')?.dataset.lotId, x: r.left + r.width / 2, y: r.top + r.height / 2 };
    });
    return {
      tile: { z: Number(match![1]), x: Number(match![2]), y: Number(match![3]), left: box.left, top: box.top },
      map: { left: map.left, top: map.top, right: map.right, bottom: map.bottom },
      markers,
    };
  });
}
type Screen = Awaited<ReturnType<typeof screen>>;

/** Where a point (in the tiles' own coordinates) is on the screen. */
function onScreen({ tile }: Screen, lat: number, lon: number): { x: number; y: number } {
  const p = project(lat, lon, tile.z);
  return { x: tile.left + p.x - tile.x * TILE, y: tile.top + p.y - tile.y * TILE };
}
/** The point (in the tiles' own coordinates) at a place on the screen. */
function atScreen({ tile }: Screen, x: number, y: number): { lat: number; lon: number } {
  return unproject(tile.x * TILE + (x - tile.left), tile.y * TILE + (y - tile.top), tile.z);
}

describe('web: the map on GCJ-02 tiles (TILE_CRS=gcj02)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let t: TestApp;
  let page: Page;
  let tileHosts: Set<string>;

  /** A page whose tiles are served here, and whose subscriptions are recorded. */
  async function openMap(path: string, options = {}): Promise<BBox[]> {
    // A map of about 600 × 700 px: at zoom 17 the area subscribed to snaps to a grid finer than GCJ-02's offset.
    ({ page } = await offlinePage(browser, { viewport: { width: 960, height: 752 }, ...options }));
    tileHosts = new Set();
    await page.route(TILES, (route) => {
      tileHosts.add(new URL(route.request().url()).host);
      return route.fulfill({ body: BLANK_PNG, contentType: 'image/png' });
    });
    const subscribed: BBox[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws: WebSocketRoute) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        const event = /^42\d*(\[.*)$/s.exec(String(message));
        const [name, body] = event ? (JSON.parse(event[1]!) as [string, { bbox?: BBox }]) : [];
        if (name === 'subscribe' && body?.bbox) subscribed.push(body.bbox);
        server.send(message);
      });
    });
    await page.goto(`${t.app.httpUrl}${path}`);
    return subscribed;
  }

  before(async function () {
    browser = await launchBrowser(this);
    t = await startApp({
      ADMIN_TOKEN,
      TILE_CRS: 'gcj02',
      TILE_URL: 'https://t{s}.tiles.example.test/{z}/{x}/{y}.png',
      TILE_SUBDOMAINS: '01234567',
      TILE_LABELS_URL: 'https://t{s}.labels.example.test/{z}/{x}/{y}.png',
      TILE_MAX_ZOOM: '18',
      TILE_ATTRIBUTION: '© 天地图 Tianditu',
    });
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
  });
  afterEach(async () => {
    await page?.close();
  });

  it('puts each marker where its lot’s GCJ-02 point is on the tiles, and subscribes to the view in WGS-84', async () => {
    const subscribed = await openMap('/lots/nanfeng-rd');
    await page.locator('.lot-popup[data-lot-id="nanfeng-rd"]').waitFor();
    assert.equal(await page.getAttribute('#map', 'data-tile-crs'), 'gcj02');
    await page.keyboard.press('Escape');
    const { body } = await getJson<{ lots: LotView[] }>(t.app.httpUrl, '/api/lots');
    const lots = new Map(body.lots.map((lot) => [lot.id, lot]));
    const atLot = await screen(page);
    assert.equal(atLot.tile.z, 17);
    assert.ok(atLot.markers.some((m) => m.id === 'nanfeng-rd'));
    for (const marker of atLot.markers) {
      const lot = lots.get(marker.id!)!;
      const gcj = toGcj(lot.lat, lot.lon);
      const expected = onScreen(atLot, gcj.lat, gcj.lon);
      assert.ok(Math.abs(marker.x - expected.x) <= 1 && Math.abs(marker.y - expected.y) <= 1,
        `${lot.id} at ${marker.x},${marker.y}, its GCJ-02 point at ${expected.x.toFixed(1)},${expected.y.toFixed(1)}`);
      const unconverted = onScreen(atLot, lot.lat, lot.lon);
      assert.ok(Math.hypot(unconverted.x - marker.x, unconverted.y - marker.y) > 300, 'the WGS-84 point is far off on these tiles');
    }

    // Away from the lot by more than the area held, so the page subscribes anew for this view.
    const before = subscribed.length;
    const map = (await page.locator('#map').boundingBox())!;
    await page.mouse.move(map.x + map.width - 20, map.y + map.height / 2);
    await page.mouse.down();
    await page.mouse.move(map.x + 20, map.y + map.height / 2 - 100, { steps: 12 });
    // Held still before letting go: no inertia, so the pan ends where the mouse did, with one
    // moveend there. (With inertia, a loaded machine could end the pan beyond the view that was
    // subscribed to, inside the area held, where the page rightly does not subscribe again.)
    await page.waitForTimeout(300);
    await page.mouse.up();
    // The pan settles (inertia) and the subscription goes out 250 ms after: on a busy machine that
    // takes longer, so wait until a new one came and none followed it for a while.
    const deadline = Date.now() + 20_000;
    let seen = subscribed.length;
    for (let quietSince = Date.now(); Date.now() < deadline; await page.waitForTimeout(100)) {
      if (subscribed.length !== seen) [seen, quietSince] = [subscribed.length, Date.now()];
      if (seen > before && Date.now() - quietSince >= 1200) break;
    }
    assert.ok(subscribed.length > before, 'subscribed anew');
    // The map at rest, its last subscription sent: the pan's inertia may still move it (within the
    // area held, or on to one more subscription), on a busy machine for longer.
    let shown = await screen(page);
    for (let count = subscribed.length, until = Date.now() + 15_000; Date.now() < until; ) {
      await page.waitForTimeout(400);
      const again = await screen(page);
      const still = again.tile.x === shown.tile.x && again.tile.y === shown.tile.y && again.tile.left === shown.tile.left && again.tile.top === shown.tile.top;
      shown = again;
      if (still && subscribed.length === count) break;
      count = subscribed.length;
    }

    // The area subscribed to: the view, padded by half its size on each side, converted to WGS-84, grown to the grid.
    const bbox = subscribed.at(-1)!;
    const corners = [atScreen(shown, shown.map.left, shown.map.bottom), atScreen(shown, shown.map.right, shown.map.top)];
    const [sw, ne] = corners as [{ lat: number; lon: number }, { lat: number; lon: number }];
    const [padLat, padLon] = [(ne.lat - sw.lat) / 2, (ne.lon - sw.lon) / 2];
    let hull = [Infinity, Infinity, -Infinity, -Infinity];
    for (const lon of [sw.lon - padLon, ne.lon + padLon]) {
      for (const lat of [sw.lat - padLat, ne.lat + padLat]) {
        const p = toWgs(lat, lon);
        hull = [Math.min(hull[0]!, p.lon), Math.min(hull[1]!, p.lat), Math.max(hull[2]!, p.lon), Math.max(hull[3]!, p.lat)];
      }
    }
    const step = 2 ** Math.ceil(Math.log2(Math.max(hull[2]! - hull[0]!, hull[3]! - hull[1]!) / 4));
    const slack = 2e-5; // a pixel's rounding, and the offset's change along an edge
    assert.ok(step < 0.005, `the grid (${step}°) is finer than the offset (about 0.005° east here)`);
    for (const [edge, low] of [[0, true], [1, true], [2, false], [3, false]] as const) {
      const [got, exact] = [bbox[edge], hull[edge]!];
      const ok = low ? got <= exact + slack && got > exact - step - slack : got >= exact - slack && got < exact + step + slack;
      assert.ok(ok, `edge ${edge} of ${JSON.stringify(bbox)}: the WGS-84 view's is ${exact.toFixed(6)} (grid ${step})`);
    }

    // The tiles and their labels, from the subdomains given, up to the tile server's zoom (18).
    assert.ok([...tileHosts].every((host) => /^t[0-7]\.(tiles|labels)\.example\.test$/.test(host)), [...tileHosts].join());
    assert.ok([...tileHosts].some((host) => host.includes('labels')), 'the labels layer is drawn');
    assert.equal(await page.locator('.leaflet-control-attribution').textContent().then((s) => s?.includes('© 天地图 Tianditu')), true);
  });

  it('puts the driver’s dot where the browser’s (WGS-84) position is on the tiles', async () => {
    const here = { lat: 36.0861, lon: 120.3588 };
    await openMap('/', { geolocation: { latitude: here.lat, longitude: here.lon }, permissions: ['geolocation'] });
    await page.locator('.lot-marker-icon, .lot-cluster-icon').first().waitFor();
    await page.click('.locate-button');
    const dot = page.locator('.leaflet-overlay-pane path');
    await dot.waitFor();
    await page.waitForTimeout(500); // the map moves to the driver
    const shown = await screen(page);
    const box = (await dot.boundingBox())!;
    const gcj = toGcj(here.lat, here.lon);
    const expected = onScreen(shown, gcj.lat, gcj.lon);
    assert.ok(Math.abs(box.x + box.width / 2 - expected.x) <= 1.5 && Math.abs(box.y + box.height / 2 - expected.y) <= 1.5,
      `the dot at ${box.x + box.width / 2},${box.y + box.height / 2}, the GCJ-02 point at ${expected.x},${expected.y}`);
  });

  it('stores where an operator clicks on GCJ-02 tiles in WGS-84, and puts the pin where the click was', async () => {
    const { token } = await createOperator(t.app.httpUrl, 'GCJ Parking');
    await openMap('/operator?lang=en');
    await page.fill('#token-input', token);
    await page.click('#sign-in-form button[type=submit]');
    await page.locator('#workspace').waitFor({ state: 'visible' });
    await page.locator('#map img.leaflet-tile').first().waitFor();
    await page.waitForTimeout(300);
    const shown = await screen(page);
    const at = { x: Math.round((shown.map.left + shown.map.right) / 2 + 40), y: Math.round((shown.map.top + shown.map.bottom) / 2 + 30) };
    await page.mouse.click(at.x, at.y);
    await page.locator('#lot-form').waitFor({ state: 'visible' });
    const stored = { lat: Number(await page.inputValue('#f-lat')), lon: Number(await page.inputValue('#f-lon')) };
    const clicked = atScreen(shown, at.x, at.y); // GCJ-02, as the tiles are drawn
    const expected = toWgs(clicked.lat, clicked.lon);
    const pixel = 360 / (TILE * 2 ** shown.tile.z);
    assert.ok(Math.abs(stored.lat - expected.lat) < 1.5 * pixel && Math.abs(stored.lon - expected.lon) < 1.5 * pixel,
      `stored ${stored.lat},${stored.lon}; the click's WGS-84 point is ${expected.lat},${expected.lon}`);
    assert.ok(Math.abs(stored.lon - clicked.lon) > 0.004, 'not the GCJ-02 point itself');
    const pin = (await page.locator('.op-pick').boundingBox())!;
    assert.ok(Math.abs(pin.x + pin.width / 2 - at.x) <= 2, `the pin is where the click was: ${pin.x + pin.width / 2} vs ${at.x}`);
  });
});

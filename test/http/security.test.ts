// Security headers and rate limits: a CSP of this origin only (and the tile
// server), no inline script in any page, bounded writes and failed logins.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tileOrigin } from '../../server/http/security.ts';
import { ADMIN_TOKEN, api, createOperator, newLot } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';

describe('security: headers and pages', function () {
  let t: TestApp;
  before(async () => {
    t = await startApp({ TILE_URL: 'https://{s}.tiles.example.org/{z}/{x}/{y}.png' });
  });
  after(async () => t?.stop());

  it('sends a Content-Security-Policy of self only, plus the tile server for images', async () => {
    for (const path of ['/', '/operator', '/api/lots']) {
      const res = await fetch(`${t.app.httpUrl}${path}`);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /script-src 'self';/, path);
      assert.match(csp, /style-src 'self';/, path);
      assert.match(csp, /img-src 'self' https:\/\/\*\.tiles\.example\.org;/, path);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-powered-by'), null);
    }
  });

  it('serves pages with no inline script, style or event handler', () => {
    for (const file of ['web/index.html', 'web/operator.html', 'web/api-docs.html']) {
      const html = readFileSync(file, 'utf8');
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, `${file}: inline <script>`);
      assert.doesNotMatch(html, /<style/i, `${file}: <style>`);
      assert.doesNotMatch(html, /\son[a-z]+\s*=|\sstyle\s*=/i, `${file}: inline handler or style`);
    }
  });

  it('gives the API reference page the same policy, plus data: images for Swagger UI\'s icons (scripts still self only)', async () => {
    const csp = (await fetch(`${t.app.httpUrl}/api/docs`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /img-src 'self' https:\/\/\*\.tiles\.example\.org data:;/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  });

  it('derives the tile origin from TILE_URL', () => {
    assert.equal(tileOrigin('https://tile.openstreetmap.org/{z}/{x}/{y}.png'), 'https://tile.openstreetmap.org');
    assert.equal(tileOrigin('https://{s}.tile.example.org/{z}/{x}/{y}.png'), 'https://*.tile.example.org');
    // A placeholder inside the first label stands for the whole label (CSP's wildcard is a whole label).
    assert.equal(tileOrigin('http://tiles-{s}.example.org:8080/{z}/{x}/{y}.png'), 'http://*.example.org:8080');
    assert.equal(tileOrigin('https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}'), 'https://*.is.autonavi.com');
    assert.equal(tileOrigin('https://t{s}.tianditu.gov.cn/vec_w/wmts?TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=KEY'), 'https://*.tianditu.gov.cn');
    // Anywhere else, CSP cannot say it: the scheme.
    assert.equal(tileOrigin('https://tiles.{s}.example.org/{z}/{x}/{y}.png'), 'https:');
  });

  it('allows images from the labels layer’s server too (TILE_LABELS_URL)', async () => {
    const labelled = await startApp({ TILE_URL: 'https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY', TILE_LABELS_URL: 'https://labels.example.net/{z}/{x}/{y}.png' });
    try {
      const csp = (await fetch(labelled.app.httpUrl)).headers.get('content-security-policy') ?? '';
      assert.match(csp, /img-src 'self' https:\/\/\*\.tianditu\.gov\.cn https:\/\/labels\.example\.net;/);
    } finally {
      await labelled.stop();
    }
  });
});

describe('security: rate limits', function () {
  let t: TestApp;
  before(async () => {
    t = await startApp({ ADMIN_TOKEN, WRITE_RATE_LIMIT: '3', AUTH_FAILURE_LIMIT: '2' });
  });
  after(async () => t?.stop());

  it('refuses writes beyond the limit per minute → 429 with a JSON error, and stores nothing', async () => {
    const { token } = await createOperator(t.app.httpUrl, 'Busy'); // write 1
    for (const id of ['rate-1', 'rate-2']) assert.equal((await api(t.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id }) })).status, 201);
    const refused = await api(t.app.httpUrl, 'POST', '/api/lots', { token, body: newLot({ id: 'rate-3' }) });
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'rate_limited');
    assert.match(refused.body.error.message, /too many write requests/);
    assert.ok(refused.body.error.details.retryAfterS > 0);
    assert.equal(t.app.catalog.get('rate-3'), undefined);
    assert.equal((await api(t.app.httpUrl, 'GET', '/api/me/lots', { token })).status, 200, 'reads go on');
  });

});

describe('security: failed authentications', function () {
  let t: TestApp;
  before(async () => {
    t = await startApp({ ADMIN_TOKEN, AUTH_FAILURE_LIMIT: '2' });
  });
  after(async () => t?.stop());

  it('refuses failed authentications beyond the limit → 429, but never a valid token from that address', async () => {
    const { token: operatorToken } = await createOperator(t.app.httpUrl, 'Locked Out?');
    // Successes are not counted: many valid calls, then the limit's worth of failures still get 401.
    for (let i = 0; i < 5; i++) assert.equal((await api(t.app.httpUrl, 'GET', '/api/me', { token: operatorToken })).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await api(t.app.httpUrl, 'GET', '/api/me', { token: `kwo_guess-${i}` })).status, 401);
    const limited = await api(t.app.httpUrl, 'GET', '/api/me', { token: 'kwo_guess-3' });
    assert.deepEqual([limited.status, limited.body.error.code], [429, 'rate_limited']);
    assert.match(limited.body.error.message, /failed authentications/);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    for (let i = 0; i < 20; i++) assert.equal((await api(t.app.httpUrl, 'GET', '/api/me', { token: `not-a-token-${i}` })).status, 429);
    assert.equal((await api(t.app.httpUrl, 'GET', '/api/me')).status, 429, 'no token at all is a failure too');
    // The address is over its limit, yet the admin and the operator get in.
    assert.equal((await api(t.app.httpUrl, 'GET', '/api/me', { token: ADMIN_TOKEN })).status, 200);
    const me = await api(t.app.httpUrl, 'GET', '/api/me', { token: operatorToken });
    assert.deepEqual([me.status, me.body.operator.name], [200, 'Locked Out?']);
    assert.equal((await api(t.app.httpUrl, 'GET', '/api/operators', { token: ADMIN_TOKEN })).status, 200);
  });
});

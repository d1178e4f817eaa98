// Install and offline, over HTTP: the manifests (one per language, served as
// application/manifest+json), the icons (real PNGs of the sizes the manifest
// names; maskable ones full-bleed), the service worker at the root, and the
// Content-Security-Policy allowing worker and manifest from this origin only.
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { startApp, type TestApp } from '../helpers/app.ts';

/** A PNG's size and the alpha of its top-left pixel (8-bit RGBA, unfiltered rows, as the service writes them). */
function readPng(png: Buffer): { width: number; height: number; cornerAlpha: number; centreAlpha: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  assert.deepEqual([png[24], png[25]], [8, 6], '8-bit RGBA');
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.subarray(at + 4, at + 8).toString('latin1') === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const rows = inflateSync(Buffer.concat(idat));
  const stride = width * 4 + 1;
  assert.equal(rows.length, stride * height);
  const alpha = (x: number, y: number) => rows[y * stride + 1 + x * 4 + 3]!;
  return { width, height, cornerAlpha: alpha(0, 0), centreAlpha: alpha(width >> 1, height >> 1) };
}

describe('http: the web app manifest, icons and service worker', function () {
  this.timeout(30_000);
  let t: TestApp;
  before(async () => {
    t = await startApp();
  });
  after(async () => t?.stop());

  for (const [lang, name, short] of [['zh', /^空位 Kongwei/, '空位'], ['en', /^Kongwei 空位/, 'Kongwei']] as const) {
    it(`serves the ${lang} manifest as application/manifest+json, with its names and the icons`, async () => {
      const res = await fetch(`${t.app.httpUrl}/manifest.${lang}.webmanifest`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/manifest\+json/);
      const manifest = (await res.json()) as Record<string, any>;
      assert.match(manifest.name, name);
      assert.equal(manifest.short_name, short);
      assert.equal(manifest.lang, lang === 'zh' ? 'zh-CN' : 'en');
      assert.deepEqual([manifest.start_url, manifest.scope, manifest.id, manifest.display], ['/', '/', '/', 'standalone']);
      const sizes = (purpose: string) => manifest.icons.filter((i: { purpose: string }) => i.purpose === purpose).map((i: { sizes: string }) => i.sizes).sort();
      assert.deepEqual(sizes('any'), ['192x192', '512x512']);
      assert.deepEqual(sizes('maskable'), ['192x192', '512x512']);
      for (const icon of manifest.icons as { src: string; sizes: string; type: string; purpose: string }[]) {
        const answer = await fetch(`${t.app.httpUrl}${icon.src}`);
        assert.equal(answer.status, 200, icon.src);
        assert.equal(answer.headers.get('content-type'), icon.type);
        const png = readPng(Buffer.from(await answer.arrayBuffer()));
        assert.equal(`${png.width}x${png.height}`, icon.sizes, icon.src);
        assert.equal(png.centreAlpha, 255, `${icon.src}: opaque in the middle`);
        // A maskable icon fills its square (a mask may cut anywhere outside the centre); the other has rounded corners.
        assert.equal(png.cornerAlpha, icon.purpose === 'maskable' ? 255 : 0, `${icon.src}: corner`);
      }
    });
  }

  it('serves Apple’s touch icon, and no icon it does not have', async () => {
    const res = await fetch(`${t.app.httpUrl}/icons/apple-touch-icon.png`);
    assert.deepEqual([res.status, readPng(Buffer.from(await res.arrayBuffer())).width], [200, 180]);
    for (const path of ['/icons/icon-64.png', '/icons/..%2Fpackage.json', '/icons/constructor']) assert.equal((await fetch(`${t.app.httpUrl}${path}`)).status, 404, path);
  });

  it('serves the service worker at the root, as JavaScript, never cached by HTTP', async () => {
    const res = await fetch(`${t.app.httpUrl}/sw.js`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/javascript/);
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    const code = await res.text();
    assert.match(code, /kongwei-shell-v1/);
    assert.match(code, /addEventListener\("fetch"/);
  });

  it('allows a worker and a manifest from this origin only', async () => {
    const csp = (await fetch(`${t.app.httpUrl}/`)).headers.get('content-security-policy') ?? '';
    assert.match(csp, /worker-src 'self';/);
    assert.match(csp, /manifest-src 'self';/);
    assert.doesNotMatch(csp, /blob:|unsafe-/);
  });
});

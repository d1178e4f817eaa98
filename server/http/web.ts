// The map page and its assets, all served by the service itself (no CDN):
// the page works with no internet; only map tiles come from TILE_URL.
// The browser code (web/src, TypeScript) is bundled with esbuild at start.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import express, { Router, type Response } from 'express';
import { pwaRouter } from './pwa.ts';

const webDir = fileURLToPath(new URL('../../web/', import.meta.url));
const require = createRequire(import.meta.url);
const leafletDist = join(dirname(require.resolve('leaflet/package.json')), 'dist');
const markerClusterDist = join(dirname(require.resolve('leaflet.markercluster/package.json')), 'dist');
// uPlot (the pages' charts): its script is bundled into the pages' own; its stylesheet is served from here.
const uplotDist = join(dirname(require.resolve('uplot/package.json')), 'dist');

export interface WebOptions {
  tileUrl: string;
  tileAttribution: string;
  /** TILE_SUBDOMAINS, TILE_MAX_ZOOM, TILE_CRS, TILE_LABELS_URL: the map's tiles, as the pages draw them. */
  tileSubdomains?: string;
  tileMaxZoom?: number;
  tileCrs?: 'wgs84' | 'gcj02';
  tileLabelsUrl?: string;
  /** The service's STALE_AFTER_S: the map greys a lot whose data gets older by itself, even with no connection. */
  staleAfterS: number;
  /** The lots' TIME_ZONE: the map says opening and closing times on its clock. */
  timeZone: string;
  /** The service's clock (injected in tests), which the page judges ages and staleness by. */
  clock?: () => number;
  /** Whether a lot exists, so a link to one that does not (/lots/{id}) is answered 404 (the page still says so). */
  lotExists?: (id: string) => boolean;
}

/**
 * The browser bundles: served path → entry point under web/src. An entry
 * whose file does not exist (yet) is left out.
 */
export const WEB_ENTRIES: Record<string, string> = {
  '/app.js': 'src/main.ts',
  '/operator.js': 'src/operator/main.ts',
  // The service worker, at the root so that its scope is the whole site (pwa.ts).
  '/sw.js': 'src/sw.ts',
};

let bundles: Promise<Map<string, string>> | undefined;

/** Bundles web/src once per process (tests start many services): served path → JavaScript. */
export function buildWebBundles(): Promise<Map<string, string>> {
  bundles ??= (async () => {
    const entries = Object.entries(WEB_ENTRIES).filter(([, file]) => existsSync(join(webDir, file)));
    const built = await Promise.all(
      entries.map(async ([path, file]) => {
        const result = await esbuild.build({
          entryPoints: [join(webDir, file)],
          bundle: true,
          write: false,
          format: 'iife',
          target: ['es2020'],
          minify: true,
          sourcemap: false,
          legalComments: 'none',
          logLevel: 'silent',
        });
        return [path, result.outputFiles[0]!.text] as const;
      }),
    );
    return new Map(built);
  })();
  return bundles;
}

const escapeAttr = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export async function webRouter(options: WebOptions): Promise<Router> {
  const scripts = await buildWebBundles();
  const page = (file: string) =>
    readFileSync(join(webDir, file), 'utf8')
      // Replacement functions: a "$&" or "$'" in a configured value stays as written.
      .replace('{{TILE_URL}}', () => escapeAttr(options.tileUrl))
      .replace('{{TILE_ATTRIBUTION}}', () => escapeAttr(options.tileAttribution))
      .replace('{{TILE_SUBDOMAINS}}', () => escapeAttr(options.tileSubdomains ?? 'abc'))
      .replace('{{TILE_MAX_ZOOM}}', String(options.tileMaxZoom ?? 19))
      .replace('{{TILE_CRS}}', options.tileCrs ?? 'wgs84')
      .replace('{{TILE_LABELS_URL}}', () => escapeAttr(options.tileLabelsUrl ?? ''))
      .replace('{{STALE_AFTER_S}}', String(options.staleAfterS))
      .replace('{{TIME_ZONE}}', () => escapeAttr(options.timeZone));
  const indexHtml = page('index.html');
  const clock = options.clock ?? Date.now;

  // The server's clock, so the page can tell data ages right on a phone whose clock is off.
  const sendMap = (res: Response) => res.type('html').set('Cache-Control', 'no-cache').send(indexHtml.replace('{{SERVER_TIME}}', String(clock())));
  const router = Router();
  router.get('/', (_req, res) => sendMap(res));
  // A lot's own link (the page's share button gives it): the map, opened on the lot. One that
  // does not exist is a 404 for link checkers and previews; the page says so to the driver.
  router.get('/lots/:id', (req, res) => {
    if (options.lotExists && !options.lotExists(req.params.id)) res.status(404);
    sendMap(res);
  });
  if (existsSync(join(webDir, 'operator.html'))) {
    // Its charts' periods are taken on the service's clock too.
    const operatorHtml = page('operator.html');
    router.get('/operator', (_req, res) => {
      res.type('html').set('Cache-Control', 'no-cache').send(operatorHtml.replace('{{SERVER_TIME}}', String(clock())));
    });
  }
  for (const [path, js] of scripts) {
    router.get(path, (_req, res) => {
      res.type('application/javascript').set('Cache-Control', 'no-cache').send(js);
    });
  }
  router.use(pwaRouter());
  router.use('/static', express.static(join(webDir, 'public'), { maxAge: '1h' }));
  router.use('/vendor/leaflet', express.static(leafletDist, { maxAge: '7d', immutable: true }));
  router.use('/vendor/leaflet.markercluster', express.static(markerClusterDist, { maxAge: '7d', immutable: true }));
  router.use('/vendor/uplot', express.static(uplotDist, { maxAge: '7d', immutable: true }));
  return router;
}

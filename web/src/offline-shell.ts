// What the service worker (sw.ts) keeps so the map opens with no network:
// the app shell's URLs, and how a kept copy of the page is served. Pure (no
// DOM, no worker globals), so the unit tests run it in Node.

/** The cache the shell lives in; a new name drops the old cache when the new worker takes over. */
export const SHELL_CACHE = 'kongwei-shell-v1';

/** The map page (served for a navigation to "/" with any query: the page is the same, its script reads ?lang). */
export const PAGE_URL = '/';

/** Everything the map page loads from the service (index.html's links and script), the manifests and the small icon. */
export const SHELL_URLS: readonly string[] = [
  PAGE_URL,
  '/app.js',
  '/static/app.css',
  '/static/map-a11y.css',
  '/static/find.css',
  '/static/charts.css',
  '/vendor/leaflet/leaflet.css',
  '/vendor/leaflet.markercluster/MarkerCluster.css',
  '/vendor/uplot/uPlot.min.css',
  '/manifest.zh.webmanifest',
  '/manifest.en.webmanifest',
  '/icons/icon-192.png',
];

/** The header a kept response carries: when it was kept, by the device's clock (epoch ms). */
export const CACHED_AT_HEADER = 'X-Kongwei-Cached-At';

/** How long a shell request waits for the network to answer (its headers) before the kept copy is served: a weak signal in a car park. */
export const NETWORK_TIMEOUT_MS = 6000;

const SERVER_TIME = /data-server-time="(\d*)"/;

/**
 * The kept page as it is served offline. The page judges ages by the
 * service's clock, from the time written into it when it was sent
 * (`data-server-time`) and the moment it arrives; a kept copy arrives later
 * than it was sent, so its time moves on by how long it was kept (on the
 * device's clock): the page keeps the service's clock as it knew it, and a
 * lot's data is never taken for younger than it is. `data-offline-copy`
 * tells the page it is the kept copy (and when, on the service's clock, it
 * was sent), so it shows what it remembers at once.
 */
export function offlinePageHtml(html: string, keptForMs: number): string {
  return html.replace(SERVER_TIME, (_, sent: string) => {
    const sentAt = Number(sent);
    if (sent === '' || !Number.isFinite(sentAt) || !Number.isFinite(keptForMs)) return 'data-server-time="" data-offline-copy=""';
    return `data-server-time="${sentAt + Math.max(0, keptForMs)}" data-offline-copy="${sentAt}"`;
  });
}

/** The cache key a GET request of this page's origin is answered from, or undefined when the worker leaves it to the network. */
export function shellKey(pathname: string, search: string, navigation: boolean): string | undefined {
  if (navigation) return pathname === PAGE_URL ? PAGE_URL : undefined;
  return search === '' && SHELL_URLS.includes(pathname) ? pathname : undefined;
}

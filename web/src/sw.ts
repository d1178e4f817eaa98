// The service worker (/sw.js, scope "/"): keeps the map's app shell so the
// page opens with no network. Network first, always: online, every shell
// request goes to the service as before (and refreshes the kept copy), so a
// new version shows at once; only when the network fails (or does not answer
// within NETWORK_TIMEOUT_MS) is the kept copy served. It keeps
// no data: the lots the page last showed are the page's to keep (offline.ts,
// IndexedDB), and the page shows them greyed, never as live. The API, the
// socket, the operator page and map tiles are never touched.
import { CACHED_AT_HEADER, NETWORK_TIMEOUT_MS, offlinePageHtml, PAGE_URL, SHELL_CACHE, SHELL_URLS, shellKey } from './offline-shell.ts';

// The few worker types used (the project compiles against the DOM library).
interface ExtendableEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEvent extends ExtendableEvent {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface WorkerScope {
  readonly location: Location;
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEvent) => void): void;
}
const worker = self as unknown as WorkerScope;

/** A response as kept: its body read, its time of keeping added; content encoding and length dropped (the body is decoded). */
async function kept(response: Response): Promise<Response> {
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  headers.set(CACHED_AT_HEADER, String(Date.now()));
  return new Response(await response.blob(), { status: response.status, statusText: response.statusText, headers });
}

async function keep(cache: Cache, key: string, response: Response): Promise<void> {
  try {
    await cache.put(key, await kept(response));
  } catch {
    // Storage full or refused: the page still works online, and the last copy stays.
  }
}

/** The kept page, its clock moved on by how long it was kept (offline-shell.ts). */
async function servedOffline(key: string, copy: Response): Promise<Response> {
  if (key !== PAGE_URL) return copy;
  const keptAt = Number(copy.headers.get(CACHED_AT_HEADER));
  const html = offlinePageHtml(await copy.text(), Date.now() - keptAt);
  const headers = new Headers(copy.headers);
  headers.delete(CACHED_AT_HEADER);
  return new Response(html, { status: 200, headers });
}

/** Work that outlives the answer (keeping a copy); the answer is still pending when it is added, so the worker stays up for it. */
function inBackground(event: FetchEvent, work: Promise<unknown>): void {
  try {
    event.waitUntil(work.catch(() => undefined));
  } catch {
    void work.catch(() => undefined);
  }
}

function networkFirst(event: FetchEvent, key: string): Promise<Response> {
  return (async () => {
    const cache = await caches.open(SHELL_CACHE);
    const network = fetch(event.request).then((response) => {
      // A proxy's 502 while the service is down is no page: the kept copy is better.
      if (response.status >= 500) throw new Error(`answered ${response.status}`);
      // Kept while the page reads it: the answer does not wait for the copy.
      if (response.ok) inBackground(event, keep(cache, key, response.clone()));
      return response;
    });
    inBackground(event, network);
    const copy = await cache.match(key);
    if (!copy) return network;
    // A weak signal that never answers: the kept copy after a while (the headers must come by then, not the whole body).
    let timer: ReturnType<typeof setTimeout> | undefined;
    const slow = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('slow network')), NETWORK_TIMEOUT_MS)));
    try {
      return await Promise.race([network, slow]);
    } catch {
      return servedOffline(key, copy);
    } finally {
      clearTimeout(timer);
    }
  })();
}

worker.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await Promise.all(SHELL_URLS.map(async (url) => {
      try {
        const response = await fetch(url, { cache: 'no-cache' });
        if (response.ok) await keep(cache, url, response);
      } catch {
        // Kept on the next visit instead (network first refreshes every copy).
      }
    }));
    await worker.skipWaiting();
  })());
});

worker.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('kongwei-shell-') && name !== SHELL_CACHE) await caches.delete(name);
    // The page that registered the worker is served by it from now on, so it opens offline after one visit.
    await worker.clients.claim();
  })());
});

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin) return;
  const key = shellKey(url.pathname, url.search, request.mode === 'navigate');
  if (key) event.respondWith(networkFirst(event, key));
});

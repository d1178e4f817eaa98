// The standard feeds (DESIGN.md §4, "Feeds"): ParkAPI v1 and v3, DATEX II
// Parking Publication Light. Read-only, no token, for any origin; thin
// handlers that read the lot views (the map's truth) and map them with the
// pure functions of domain/feeds/. Each answer has an ETag, and a matching
// If-None-Match gets a 304; compression() compresses them.
import { createHash } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { notFound } from '../domain/errors.ts';
import { datex2PublicationSchema, toDatex2Publication } from '../domain/feeds/datex2.ts';
import { parkApiV1CitySchema, parkApiV1IndexSchema, toParkApiV1City, toParkApiV1Index } from '../domain/feeds/parkapi-v1.ts';
import { parkingSiteId, parkingSiteListSchema, parkingSiteSchema, toParkingSite, toParkingSiteList } from '../domain/feeds/parkapi-v3.ts';
import type { FeedContext } from '../domain/feeds/truth.ts';
import type { LotViews } from '../query/lot-views.ts';
import type { HeaderDoc, ResponseDoc, RouteDoc } from './openapi/registry.ts';

/** How long a client or cache may reuse a feed's answer before asking again (with If-None-Match). */
export const FEED_MAX_AGE_S = 30;

export interface FeedOptions {
  views: LotViews;
  cityId: string;
  cityName: string;
  serverVersion: string;
  clock?: () => number;
}

/** The service's base URL as the client reached it (behind a proxy: with TRUST_PROXY set). */
export const baseUrlOf = (req: Request) => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

/**
 * Headers every feed answer carries, errors and 304s included: any web page
 * may read it (CORS, no credentials), caches may keep it FEED_MAX_AGE_S.
 * A CORS preflight (a page sending If-None-Match itself) is answered here.
 */
export const feedHeaders: RequestHandler = (req, res, next) => {
  res.set({
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'ETag, Link, NGSILD-Results-Count',
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': `public, max-age=${FEED_MAX_AGE_S}`,
  });
  if (req.method !== 'OPTIONS') return next();
  res.set({ 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Headers': 'Accept, If-None-Match', 'Access-Control-Max-Age': '86400' });
  res.status(204).end();
};

/** Whether an If-None-Match header names this (weak) ETag: weak comparison, as RFC 9110 §13.1.2 wants for GET. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (tag: string) => tag.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((tag) => tag.trim() === '*' || bare(tag) === bare(etag));
}

/**
 * Sends a feed's body with its ETag, or 304 when the client has it already.
 * Not Express's own freshness check: that one answers 200 to every request
 * with Cache-Control: no-cache, which fetch() adds to any request carrying
 * If-None-Match — so a web page polling a feed would never get its 304.
 */
export function sendFeed(req: Request, res: Response, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  const etag = `W/"${createHash('sha1').update(text).digest('base64url')}"`;
  res.set('ETag', etag);
  if (matchesEtag(req.get('if-none-match'), etag)) return void res.status(304).end();
  res.type(type).send(text);
}

export function feedsRouter(options: FeedOptions): Router {
  const { views } = options;
  const now = options.clock ?? Date.now;
  const context = (req: Request): FeedContext => ({ baseUrl: baseUrlOf(req), cityId: options.cityId, cityName: options.cityName, serverVersion: options.serverVersion });
  const router = Router();
  router.use(['/parkapi', '/datex2'], feedHeaders);

  router.get('/parkapi/v1/', async (req, res) => {
    sendFeed(req, res, toParkApiV1Index(await views.all(), context(req)));
  });

  router.get('/parkapi/v1/:city', async (req, res) => {
    if (req.params.city !== options.cityId) throw notFound(`city "${String(req.params.city).slice(0, 80)}" (this service serves "${options.cityId}")`);
    const lots = await views.all();
    sendFeed(req, res, toParkApiV1City(lots, context(req), await views.withForecast(lots)));
  });

  router.get('/parkapi/v3/parking-sites', async (req, res) => {
    sendFeed(req, res, toParkingSiteList(await views.all(), now()));
  });

  router.get('/parkapi/v3/parking-sites/:id', async (req, res) => {
    const id = String(req.params.id);
    // The lot id itself, or ParkAPI's numeric id made from it.
    const lot = (await views.get(id)) ?? (/^\d{1,16}$/.test(id) ? (await views.all()).find((l) => parkingSiteId(l.id) === Number(id)) : undefined);
    if (!lot) throw notFound(`parking site "${id.slice(0, 80)}"`);
    sendFeed(req, res, toParkingSite(lot, now()));
  });

  router.get('/datex2/v3/parking-light.json', async (req, res) => {
    sendFeed(req, res, toDatex2Publication(await views.all(), options.cityName));
  });

  return router;
}

// ---- The description (server/http/openapi/) ----

export const feedResponseHeaders: Record<string, HeaderDoc> = {
  ETag: { description: 'the answer\'s version: send it back as If-None-Match to get a 304 while nothing changed' },
  'Cache-Control': { description: `public, max-age=${FEED_MAX_AGE_S}` },
  'Access-Control-Allow-Origin': { description: '*: any web page may read the feed' },
};
export const feedRequestHeaders: Record<string, HeaderDoc> = {
  'If-None-Match': { description: 'the ETag of an answer you have: 304 Not Modified while it is still current' },
};
export const notModified: ResponseDoc = { description: 'Not Modified: the answer whose ETag you sent is still current', headers: { ETag: feedResponseHeaders.ETag! } };
const ok = (description: string, schema: z.ZodType): ResponseDoc => ({ description, schema, headers: feedResponseHeaders });

const cityParams = z.object({ city: z.string().describe('the city id, CITY_ID (default shibei)') });
const siteParams = z.object({ id: z.string().describe('the numeric ParkAPI id (`id`), or the lot id (`original_uid`)') });
const truthNote =
  'Keeps the map\'s rules: no number for stale data, a lot that is not open (or outside its opening hours) is closed with 0 free spaces, never full; free never above capacity.';

export const feedsRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/parkapi/v1/', operationId: 'parkApiV1Cities', tags: ['feeds: ParkAPI v1'],
    summary: 'ParkAPI v1: the cities this service serves (one: CITY_ID)',
    headers: feedRequestHeaders,
    responses: { 200: ok('the city index, as offenesdresden/ParkAPI answers GET /', parkApiV1IndexSchema), 304: notModified },
  },
  {
    method: 'get', path: '/parkapi/v1/{city}', operationId: 'parkApiV1City', tags: ['feeds: ParkAPI v1'],
    summary: 'ParkAPI v1: every lot of the city (schema/city_schema.json), as ParkenDD and OpenTripPlanner read it',
    description: `${truthNote} \`state\` is always sent: \`open\`, \`closed\`, or \`nodata\` (no live data); \`free\` is left out when not known (OpenTripPlanner reads a null as 0); \`forecast\` is true for a lot with a forecast (GET /api/lots/{id}/forecast).`,
    params: cityParams, headers: feedRequestHeaders,
    responses: { 200: ok('the city\'s lots', parkApiV1CitySchema), 304: notModified },
    errors: { 404: 'no such city: this service serves CITY_ID only' },
  },
  {
    method: 'get', path: '/parkapi/v3/parking-sites', operationId: 'parkApiV3ParkingSites', tags: ['feeds: ParkAPI v3'],
    summary: 'ParkAPI v3: every lot as a parking site',
    description: `${truthNote} A site with no live data has \`has_realtime_data: false\` and no \`realtime_*\` field.`,
    headers: feedRequestHeaders,
    responses: { 200: ok('{"items","total_count"}, every site in one page', parkingSiteListSchema), 304: notModified },
  },
  {
    method: 'get', path: '/parkapi/v3/parking-sites/{id}', operationId: 'parkApiV3ParkingSite', tags: ['feeds: ParkAPI v3'],
    summary: 'ParkAPI v3: one parking site',
    params: siteParams, headers: feedRequestHeaders,
    responses: { 200: ok('the site', parkingSiteSchema), 304: notModified },
    errors: { 404: 'no such site' },
  },
  {
    method: 'get', path: '/datex2/v3/parking-light.json', operationId: 'datex2ParkingLight', tags: ['feeds: DATEX II'],
    summary: 'DATEX II v3 Parking Publication Light (JSON, as ParkAPI v3 emits it)',
    description: `${truthNote} \`availableSpaces\` is left out when not known; \`isOpenNow\` when whether the lot takes cars is not known.`,
    headers: feedRequestHeaders,
    responses: { 200: ok('the publication', datex2PublicationSchema), 304: notModified },
  },
];

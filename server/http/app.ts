// The Express application: the read API, the operators' API, the standard
// feeds, health, metrics, the API description and the pages. Every router
// is mounted together with its description (openapi/registry.ts): the app
// will not start with a route that is not described.
import compression from 'compression';
import express, { type Express } from 'express';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import type { DependencyHealth } from '../live/store.ts';
import { INGEST_PATH_PREFIX } from '../domain/http-ingest.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { IMPORT_PATH } from './import-routes.ts';
import { feedsRouter, feedsRouteDocs } from './feeds-routes.ts';
import { ingestRouteDocs, ingestRouter, type IngestApiOptions } from './ingest-routes.ts';
import { forecastRouter, forecastRouteDocs } from './forecast-routes.ts';
import { historyRouter, historyRouteDocs } from './history-routes.ts';
import { lotsRouter, lotsRouteDocs } from './lots-routes.ts';
import { ngsiLdRouteDocs, ngsiLdRouter } from './ngsi-ld-routes.ts';
import { ApiRegistry } from './openapi/registry.ts';
import { openApiRouteDocs, openApiRouter } from './openapi/routes.ts';
import { operatorRouter, operatorRouteDocs, type OperatorApiOptions } from './operator-routes.ts';
import { securityHeaders } from './security.ts';
import { systemRouteDocs, systemRouter } from './system-routes.ts';
import { webRouter, type WebOptions } from './web.ts';

export interface HttpAppOptions {
  views: LotViews;
  metrics: Metrics;
  log: Logger;
  web: WebOptions;
  /** Each dependency's state, for /healthz. */
  health: () => Promise<Record<string, DependencyHealth>>;
  /** The operators' API (accounts, lot writes, gateways); left out, the API is read-only. */
  operators?: OperatorApiOptions;
  /** HTTP ingest (the MQTT input topics as paths); left out, there is none. */
  ingest?: IngestApiOptions;
  /** History (recorded by the history recorder): its views and the catalog. */
  history: Parameters<typeof historyRouter>[0];
  forecasts: Parameters<typeof forecastRouter>[0];
  /** The standard feeds' settings: the city's id (CITY_ID) and name (CITY_NAME). */
  feeds: { cityId: string; cityName: string };
  /** The service's version, for the API description and the feeds. */
  version: string;
  /** Express "trust proxy", so rate limits see the client's address behind a load balancer. */
  trustProxy?: boolean | number | string;
  /** Bearer token /metrics asks for (METRICS_TOKEN); unset, /metrics is public. */
  metricsToken?: string;
  clock?: () => number;
}

export async function createHttpApp(options: HttpAppOptions): Promise<Express> {
  const app = express();
  const api = new ApiRegistry();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(securityHeaders({ tileUrls: [options.web.tileUrl, ...(options.web.tileLabelsUrl ? [options.web.tileLabelsUrl] : [])] }));
  // gzip for everything textual: the map's first load stays small (DESIGN.md §4).
  app.use(compression());
  // Before the JSON parser: HTTP ingest reads its body as the raw MQTT payload, and allows bigger bodies (batches).
  if (options.ingest) {
    app.use(INGEST_PATH_PREFIX, ingestRouter(options.ingest));
    api.add(INGEST_PATH_PREFIX, ingestRouteDocs);
  }
  // Every JSON body up to 100 KB, except an import's (a file of lots: the import route parses its own).
  const json = express.json({ limit: '100kb' });
  app.use((req, res, next) => (req.path === `/api${IMPORT_PATH}` ? next() : json(req, res, next)));

  const feeds = { views: options.views, ...options.feeds, serverVersion: options.version, ...(options.clock ? { clock: options.clock } : {}) };
  app.use(openApiRouter(api, {
    title: 'Kongwei API',
    version: options.version,
    description:
      'Live parking availability (空位): lots with live counts, the operators\' API, and the standard feeds (ParkAPI v1 and v3, ' +
      'DATEX II Parking Publication Light, NGSI-LD). Errors are `{"error":{"code","message","details"}}` (NGSI-LD: ProblemDetails).',
  }));
  api.add('', openApiRouteDocs);
  app.use('/api', feedsRouter(feeds));
  api.add('/api', feedsRouteDocs);
  if (options.operators) {
    app.use('/api', operatorRouter(options.operators));
    api.add('/api', operatorRouteDocs);
  }
  app.use('/api', historyRouter(options.history));
  api.add('/api', historyRouteDocs);
  app.use('/api', forecastRouter(options.forecasts));
  api.add('/api', forecastRouteDocs);
  app.use('/api', lotsRouter(options.views));
  api.add('/api', lotsRouteDocs);
  app.use('/api', notFoundHandler);
  app.use('/ngsi-ld/v1', ngsiLdRouter(options.views, options.history.history));
  api.add('/ngsi-ld/v1', ngsiLdRouteDocs);

  app.use(systemRouter({ metrics: options.metrics, health: options.health, log: options.log, ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}) }));
  api.add('', systemRouteDocs);

  const web = await webRouter({ lotExists: (id) => options.views.has(id), ...options.web });
  app.use(web);
  api.omit('', web);
  app.use(notFoundHandler);
  app.use(errorHandler(options.log));
  api.assertDescribes(app);
  return app;
}

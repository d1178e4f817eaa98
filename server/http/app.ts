// The Express application: the read API, health, metrics and the map.
import compression from 'compression';
import express, { type Express } from 'express';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import type { DependencyHealth } from '../live/store.ts';
import { INGEST_PATH_PREFIX } from '../domain/http-ingest.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { IMPORT_PATH } from './import-routes.ts';
import { ingestRouter, type IngestApiOptions } from './ingest-routes.ts';
import { lotsRouter } from './lots-routes.ts';
import { operatorRouter, type OperatorApiOptions } from './operator-routes.ts';
import { securityHeaders } from './security.ts';
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
  /** Express "trust proxy", so rate limits see the client's address behind a load balancer. */
  trustProxy?: boolean | number | string;
}

export async function createHttpApp(options: HttpAppOptions): Promise<Express> {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.set('trust proxy', options.trustProxy ?? false);
  app.use(securityHeaders({ tileUrl: options.web.tileUrl }));
  // gzip for everything textual: the map's first load stays small (DESIGN.md §4).
  app.use(compression());
  // Before the JSON parser: HTTP ingest reads its body as the raw MQTT payload, and allows bigger bodies (batches).
  if (options.ingest) app.use(INGEST_PATH_PREFIX, ingestRouter(options.ingest));
  // Every JSON body up to 100 KB, except an import's (a file of lots: the import route parses its own).
  const json = express.json({ limit: '100kb' });
  app.use((req, res, next) => (req.path === `/api${IMPORT_PATH}` ? next() : json(req, res, next)));

  if (options.operators) app.use('/api', operatorRouter(options.operators));
  app.use('/api', lotsRouter(options.views));
  app.use('/api', notFoundHandler);

  app.get('/healthz', async (_req, res) => {
    const dependencies = await options.health();
    const ok = Object.values(dependencies).every((d) => d.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', dependencies });
  });

  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  app.use(await webRouter(options.web));
  app.use(notFoundHandler);
  app.use(errorHandler(options.log));
  return app;
}

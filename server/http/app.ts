// The Express application: the read API, health, metrics and the map.
import compression from 'compression';
import express, { type Express } from 'express';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { LotViews } from '../query/lot-views.ts';
import type { DependencyHealth } from '../live/store.ts';
import { INGEST_PATH_PREFIX } from '../domain/http-ingest.ts';
import { constantTimeEqual } from '../auth/secrets.ts';
import { AppError } from '../domain/errors.ts';
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
  /** Bearer token /metrics asks for (METRICS_TOKEN); unset, /metrics is public. */
  metricsToken?: string;
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

  // Each dependency's state and kind only: why one is down (an address, a
  // driver's message) goes to the log, once per change, not to whoever asks.
  const lastDetail = new Map<string, string | undefined>();
  app.get('/healthz', async (_req, res) => {
    const dependencies = await options.health();
    const shown: Record<string, { ok: boolean; kind: string }> = {};
    for (const [name, { ok, kind, detail }] of Object.entries(dependencies)) {
      shown[name] = { ok, kind };
      const state = ok ? undefined : (detail ?? 'down');
      if (lastDetail.get(name) !== state) {
        if (state === undefined) options.log.info({ dependency: name, kind }, 'dependency healthy again');
        else options.log.warn({ dependency: name, kind, detail: state }, 'dependency unhealthy');
      }
      lastDetail.set(name, state);
    }
    const ok = Object.values(shown).every((d) => d.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', dependencies: shown });
  });

  app.get('/metrics', async (req, res, next) => {
    if (options.metricsToken !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
      if (token === undefined || !constantTimeEqual(token, options.metricsToken)) {
        res.set('WWW-Authenticate', 'Bearer realm="kongwei-metrics"');
        return next(new AppError('unauthorized', '/metrics needs the METRICS_TOKEN: Authorization: Bearer <token>'));
      }
    }
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  app.use(await webRouter(options.web));
  app.use(notFoundHandler);
  app.use(errorHandler(options.log));
  return app;
}

// Health and metrics, for load balancers and Prometheus. /healthz tells each
// dependency's state and kind only: why one is down (an address, a driver's
// message) goes to the log, once per change, not to whoever asks. /metrics
// asks for METRICS_TOKEN when one is set.
import { Router } from 'express';
import { z } from 'zod';
import { constantTimeEqual } from '../auth/secrets.ts';
import { healthAnswerSchema } from '../domain/api-answers.ts';
import { AppError } from '../domain/errors.ts';
import type { DependencyHealth } from '../live/store.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { RouteDoc } from './openapi/registry.ts';

export interface SystemRoutesOptions {
  metrics: Metrics;
  health: () => Promise<Record<string, DependencyHealth>>;
  log: Logger;
  /** Bearer token /metrics asks for (METRICS_TOKEN); unset, /metrics is public. */
  metricsToken?: string;
}

export function systemRouter(options: SystemRoutesOptions): Router {
  const router = Router();
  const lastDetail = new Map<string, string | undefined>();
  router.get('/healthz', async (_req, res) => {
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

  router.get('/metrics', async (req, res, next) => {
    if (options.metricsToken !== undefined) {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')?.[1];
      if (token === undefined || !constantTimeEqual(token, options.metricsToken)) {
        res.set('WWW-Authenticate', 'Bearer realm="kongwei-metrics"');
        return next(new AppError('unauthorized', '/metrics needs the METRICS_TOKEN: Authorization: Bearer <token>'));
      }
    }
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return router;
}

export const systemRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/healthz', operationId: 'getHealth', tags: ['about'],
    summary: 'Health: each dependency\'s state and kind (database, live store, MQTT); why one is down goes to the log',
    responses: {
      200: { description: 'every dependency is up', schema: healthAnswerSchema },
      503: { description: 'a dependency is down (`status: "unavailable"`)', schema: healthAnswerSchema },
    },
  },
  {
    method: 'get', path: '/metrics', operationId: 'getMetrics', tags: ['about'],
    summary: 'Prometheus metrics: events by kind and outcome, rejections by reason, ingest lag, gateways online, socket clients',
    description: 'With METRICS_TOKEN set, it asks for `Authorization: Bearer <METRICS_TOKEN>`.',
    responses: { 200: { description: 'Prometheus text exposition format', schema: z.string(), contentType: 'text/plain' } },
    errors: { 401: 'METRICS_TOKEN is set and the request does not carry it' },
  },
];

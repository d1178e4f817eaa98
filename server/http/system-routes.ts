// Health and metrics, for load balancers and Prometheus.
import { Router } from 'express';
import { z } from 'zod';
import { healthAnswerSchema } from '../domain/api-answers.ts';
import type { DependencyHealth } from '../live/store.ts';
import type { Metrics } from '../metrics.ts';
import type { RouteDoc } from './openapi/registry.ts';

export function systemRouter(options: { metrics: Metrics; health: () => Promise<Record<string, DependencyHealth>> }): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    const dependencies = await options.health();
    const ok = Object.values(dependencies).every((d) => d.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', dependencies });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  return router;
}

export const systemRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/healthz', operationId: 'getHealth', tags: ['about'],
    summary: 'Health: each dependency\'s state (database, live store, MQTT)',
    responses: {
      200: { description: 'every dependency is up', schema: healthAnswerSchema },
      503: { description: 'a dependency is down (`status: "unavailable"`, its `detail` says why)', schema: healthAnswerSchema },
    },
  },
  {
    method: 'get', path: '/metrics', operationId: 'getMetrics', tags: ['about'],
    summary: 'Prometheus metrics: events by kind and outcome, rejections by reason, ingest lag, gateways online, socket clients',
    responses: { 200: { description: 'Prometheus text exposition format', schema: z.string(), contentType: 'text/plain' } },
  },
];

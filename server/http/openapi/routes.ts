// GET /api/openapi.json (the description, built once from the registry) and
// GET /api/docs (Swagger UI, served from node_modules like Leaflet: no CDN).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import { buildOpenApiDocument, type DocumentInfo } from './document.ts';
import type { ApiRegistry, RouteDoc } from './registry.ts';

const require = createRequire(import.meta.url);
const swaggerUiDist = dirname(require.resolve('swagger-ui-dist/package.json'));
const docsPage = fileURLToPath(new URL('../../../web/api-docs.html', import.meta.url));

/** The page's policy: the service's own, plus data: images (Swagger UI's stylesheet draws its icons with them). */
const withDataImages = (policy: string) => policy.replace(/img-src ([^;]*)/, (_m, sources: string) => `img-src ${sources} data:`);

export function openApiRouter(registry: ApiRegistry, info: DocumentInfo): Router {
  let document: string | undefined;
  const page = readFileSync(docsPage, 'utf8');
  const router = Router();
  router.get('/api/openapi.json', (_req, res) => {
    // Built on first use, when every router has registered its operations.
    document ??= JSON.stringify(buildOpenApiDocument(registry, info), null, 1);
    res.set({ 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'no-cache' }).type('application/json').send(document);
  });
  router.get('/api/docs', (_req, res) => {
    const policy = res.get('Content-Security-Policy');
    if (policy) res.set('Content-Security-Policy', withDataImages(policy));
    res.type('html').set('Cache-Control', 'no-cache').send(page);
  });
  router.use('/vendor/swagger-ui', express.static(swaggerUiDist, { maxAge: '7d', immutable: true, index: false }));
  return router;
}

export const openApiRouteDocs: RouteDoc[] = [
  {
    method: 'get', path: '/api/openapi.json', operationId: 'getOpenApiDocument', tags: ['about'],
    summary: 'This description: OpenAPI 3.1, generated from the schemas the routes use',
    responses: { 200: { description: 'the OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
  },
  {
    method: 'get', path: '/api/docs', operationId: 'getApiReference', tags: ['about'],
    summary: 'The API reference page (Swagger UI)',
    responses: { 200: { description: 'an HTML page', schema: z.string(), contentType: 'text/html' } },
  },
];

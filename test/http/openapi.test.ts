// The API description: /api/openapi.json is a valid OpenAPI 3.1 document
// (checked by a real validator), describes exactly the routes the app serves,
// and the reference page at /api/docs renders it in a browser under the
// service's Content-Security-Policy.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { Validator } from '@seriousme/openapi-schema-validator';
import express, { Router } from 'express';
import type { Browser } from 'playwright-core';
import { z } from 'zod';
import { ApiRegistry, routesOf } from '../../server/http/openapi/registry.ts';
import { ADMIN_TOKEN } from '../helpers/api.ts';
import { startApp, type TestApp } from '../helpers/app.ts';
import { ARTIFACTS_DIR, launchBrowser, offlinePage } from '../helpers/browser.ts';
import { ApiContract } from '../helpers/openapi.ts';

describe('the API description (OpenAPI 3.1)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let document: Record<string, any>;

  before(async () => {
    t = await startApp({ ADMIN_TOKEN });
    const res = await fetch(`${t.app.httpUrl}/api/openapi.json`);
    assert.equal(res.status, 200);
    document = (await res.json()) as Record<string, any>;
  });
  after(async () => t?.stop());

  it('is a valid OpenAPI 3.1 document, by @seriousme/openapi-schema-validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    assert.equal(validator.version, '3.1');
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
  });

  it('describes every route the service serves, and no other', () => {
    const described = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${path}`));
    for (const route of [
      'GET /api/lots', 'GET /api/lots.geojson', 'GET /api/lots/{id}', 'POST /api/lots', 'PATCH /api/lots/{id}', 'DELETE /api/lots/{id}',
      'GET /api/lots/{id}/audit', 'GET /api/lots/{id}/gateways', 'POST /api/lots/{id}/gateways', 'POST /api/gateways/{id}/lots', 'DELETE /api/gateways/{id}',
      'GET /api/me', 'GET /api/me/lots', 'POST /api/operators', 'GET /api/operators', 'DELETE /api/operators/{id}',
      'GET /healthz', 'GET /metrics', 'GET /api/openapi.json', 'GET /api/docs',
      'GET /api/parkapi/v1/', 'GET /api/parkapi/v1/{city}', 'GET /api/parkapi/v3/parking-sites', 'GET /api/parkapi/v3/parking-sites/{id}',
      'GET /api/datex2/v3/parking-light.json', 'GET /ngsi-ld/v1/entities', 'GET /ngsi-ld/v1/entities/{id}',
      'GET /ngsi-ld/v1/temporal/entities', 'GET /ngsi-ld/v1/temporal/entities/{id}',
    ]) assert.ok(described.includes(route), `${route} is described`);
    assert.equal(new Set(described).size, described.length);
  });

  it('says who may call what: Bearer for operators, nothing for drivers and the feeds; errors in their shape, with each status', () => {
    assert.deepEqual(document.components.securitySchemes.operatorToken, { type: 'http', scheme: 'bearer', description: document.components.securitySchemes.operatorToken.description });
    const op = (path: string, method: string) => document.paths[path][method];
    assert.deepEqual(op('/api/lots', 'post').security, [{ operatorToken: [] }]);
    assert.deepEqual(op('/api/lots', 'get').security, []);
    assert.deepEqual(op('/api/parkapi/v3/parking-sites', 'get').security, []);
    assert.deepEqual(Object.keys(op('/api/lots/{id}', 'patch').responses).sort(), ['200', '400', '401', '403', '404', '413', '429', 'default']);
    assert.deepEqual(Object.keys(op('/api/operators', 'post').responses).sort(), ['201', '400', '401', '403', '413', '429', 'default']);
    assert.equal(op('/api/lots/{id}', 'patch').responses['403'].content['application/json'].schema.$ref, '#/components/schemas/Error');
    assert.deepEqual(document.components.schemas.Error.required, ['error']);
    assert.deepEqual(op('/api/lots/{id}', 'get').parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), ['path:id']);
    assert.ok(op('/api/lots', 'get').parameters.some((p: { name: string; description?: string }) => p.name === 'near' && p.description));
    assert.ok(op('/api/lots', 'post').requestBody.content['application/json'].schema.properties.capacity);
    assert.equal(op('/ngsi-ld/v1/entities/{id}', 'get').responses['404'].content['application/json'].schema.properties.detail.type, 'string');
    const operationIds = Object.values(document.paths).flatMap((ops) => Object.values(ops as Record<string, { operationId: string }>).map((o) => o.operationId));
    assert.equal(new Set(operationIds).size, operationIds.length);
  });

  it('describes a body in each media type the route takes: the import as JSON, CSV or GeoJSON, a gateway\'s status also as the bare word', () => {
    const body = (path: string) => document.paths[path].post.requestBody.content as Record<string, { schema: Record<string, any> }>;
    const imports = body('/api/lots/import');
    assert.deepEqual(Object.keys(imports), ['application/json', 'text/csv', 'application/csv', 'application/geo+json']);
    assert.equal(imports['text/csv']!.schema.type, 'string');
    assert.equal(imports['application/geo+json']!.schema.properties.type.const, 'FeatureCollection');
    assert.deepEqual(imports['application/geo+json']!.schema.required, ['type', 'features']);
    const status = body('/api/ingest/gateways/{id}/status');
    assert.deepEqual(Object.keys(status), ['application/json', 'text/plain']);
    assert.deepEqual(status['text/plain']!.schema.enum, ['online', 'offline']);
    assert.deepEqual(Object.keys(body('/api/ingest/lots/{lot}/count')), ['application/json']);
  });

  it('refuses to build an app that serves a route it does not describe, or describes one it does not serve', () => {
    const app = express();
    const router = Router();
    router.get('/lots/:id', (_req, res) => void res.end());
    router.post('/ingest/lots/:lot/count', (_req, res) => void res.end());
    app.use('/api', router);
    const registry = new ApiRegistry().add('/api', [
      { method: 'get', path: '/lots/{id}', operationId: 'a', summary: 'a', tags: [], responses: { 200: { description: 'ok', schema: z.object({}) } } },
      { method: 'get', path: '/gone', operationId: 'b', summary: 'b', tags: [], responses: { 200: { description: 'ok' } } },
    ]);
    assert.deepEqual(routesOf(app), [{ method: 'get', path: '/api/lots/:id' }, { method: 'post', path: '/api/ingest/lots/:lot/count' }]);
    assert.throws(() => registry.assertDescribes(app), /served but not described: POST \/api\/ingest\/lots\/\{lot\}\/count;.*described but not served: GET \/api\/gone/);
    assert.throws(() => registry.add('/api', [{ method: 'get', path: '/lots/{id}', operationId: 'c', summary: 'c', tags: [], responses: {} }]), /described twice/);
  });

  it('catches a real answer that does not match it: a wrong body, an undescribed status, an undescribed path', async () => {
    const contract = new ApiContract(document);
    const lot = (await (await fetch(`${t.app.httpUrl}/api/lots/hangzhou-rd-7`)).json()) as Record<string, unknown>;
    assert.deepEqual(contract.problems('GET', '/api/lots/hangzhou-rd-7', 200, 'application/json', lot), []);
    const { free: _free, ...withoutFree } = lot;
    assert.match(contract.problems('GET', '/api/lots/hangzhou-rd-7', 200, 'application/json', withoutFree).join(), /required property 'free'/);
    assert.match(contract.problems('GET', '/api/lots/hangzhou-rd-7', 200, 'application/json', { ...lot, extra: 1 }).join(), /additional properties/);
    assert.match(contract.problems('GET', '/api/lots/hangzhou-rd-7', 418, 'application/json', {}).join(), /status 418 is not described/);
    assert.match(contract.problems('PUT', '/api/lots/hangzhou-rd-7', 200, 'application/json', {}).join(), /not in the API description/);
    assert.deepEqual(contract.problems('GET', '/api/no-such-thing', 404, 'application/json', {}), []);
  });

  describe('the reference page /api/docs', () => {
    let browser: Browser | undefined;
    before(async function () {
      browser = await launchBrowser(this);
    });
    after(async () => browser?.close());

    it('renders every operation in headless Chromium, loading nothing from elsewhere, with no console error', async () => {
      const { page, external } = await offlinePage(browser!, { locale: 'en-US' });
      const problems: string[] = [];
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('pageerror', (error) => problems.push(error.message));
      const res = await page.goto(`${t.app.httpUrl}/api/docs`);
      assert.equal(res?.status(), 200);
      assert.doesNotMatch(res?.headers()['content-security-policy'] ?? '', /unsafe-inline|unsafe-eval/);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      const operations = await page.locator('.opblock').count();
      const described = Object.values(document.paths).reduce((n: number, ops) => n + Object.keys(ops as object).length, 0);
      assert.equal(operations, described);
      assert.ok(await page.getByText('/api/parkapi/v1/{city}', { exact: true }).first().isVisible());
      assert.match((await page.locator('.info .title').textContent()) ?? '', /Kongwei API/);
      assert.equal(await page.locator('.errors-wrapper').count(), 0, 'Swagger UI found no error in the document');
      assert.equal(await page.getByText('Warning', { exact: true }).count(), 0, 'nor a warning');
      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      await page.screenshot({ path: `${ARTIFACTS_DIR}/api-docs.png` });
      await page.close();
      assert.deepEqual(problems, []);
      assert.deepEqual(external, []);
    });
  });
});

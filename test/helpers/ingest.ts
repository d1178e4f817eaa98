// HTTP ingest as a client calls it (HTTP Basic with a gateway's credential),
// and gateway credentials made through the operators' API.
import assert from 'node:assert/strict';
import type { IngestAnswer } from '../../server/domain/http-ingest.ts';
import type { NewGatewayAnswer } from '../../server/domain/operator-api.ts';
import { ADMIN_TOKEN, api, assertRequestTypeInApi } from './api.ts';
import { assertMatchesApi } from './openapi.ts';

export interface Gateway {
  id: string;
  secret: string;
}

export interface Answer<T = IngestAnswer> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * POSTs to an ingest path as a client would: HTTP Basic, a JSON body (or text
 * as given). The answer must match the OpenAPI document, and a body the
 * service took must be of a media type the document lists.
 */
export async function ingestPost<T = IngestAnswer>(
  base: string,
  path: string,
  body: unknown,
  gateway: Gateway | undefined,
  options: { contentType?: string; signal?: AbortSignal; acceptLanguage?: string } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (gateway) headers.authorization = `Basic ${Buffer.from(`${gateway.id}:${gateway.secret}`).toString('base64')}`;
  if (options.acceptLanguage) headers['accept-language'] = options.acceptLanguage;
  let payload: string | undefined;
  if (typeof body === 'string') {
    payload = body;
    headers['content-type'] = options.contentType ?? 'text/plain';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const res = await fetch(new URL(path, base), { method: 'POST', headers, ...(payload === undefined ? {} : { body: payload }), ...(options.signal ? { signal: options.signal } : {}) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  await assertMatchesApi(base, 'POST', path, res, parsed);
  await assertRequestTypeInApi(base, 'POST', path, res.status, headers['content-type']);
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A gateway credential for lots, made through the operators' API as an administrator. */
export async function newGateway(base: string, lotIds: string[]): Promise<NewGatewayAnswer> {
  const [first, ...more] = lotIds;
  const created = await api<NewGatewayAnswer>(base, 'POST', `/api/lots/${first}/gateways`, { token: ADMIN_TOKEN, body: { name: 'barrier system' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  for (const lotId of more) assert.equal((await api(base, 'POST', `/api/gateways/${created.body.id}/lots`, { token: ADMIN_TOKEN, body: { lotId } })).status, 200);
  return created.body;
}


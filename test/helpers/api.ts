// Calls to the HTTP API as a client would make them, with a bearer token.
// Every answer is checked against the service's OpenAPI document.
import { ApiContract, assertMatchesApi } from './openapi.ts';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiCall {
  token?: string;
  body?: unknown;
  /** Sent as is, with Content-Type: application/json (for malformed JSON). */
  raw?: string;
}

export async function api<T = any>(base: string, method: string, path: string, call: ApiCall = {}): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (call.token) headers.authorization = `Bearer ${call.token}`;
  let body: string | undefined;
  if (call.raw !== undefined || call.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = call.raw ?? JSON.stringify(call.body);
  }
  const res = await fetch(new URL(path, base), { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  const parsed = text ? JSON.parse(text) : undefined;
  await assertMatchesApi(base, method, path, res, parsed);
  return { status: res.status, body: parsed, headers: res.headers };
}

/**
 * Checks that the description lists a request body's media type for the
 * operation, when the service took the request (a 2xx): a body the service
 * reads, as CSV say, must be described as such.
 */
export async function assertRequestTypeInApi(base: string, method: string, path: string, status: number, contentType: string | undefined): Promise<void> {
  if (status < 200 || status > 299 || contentType === undefined) return;
  const contract = await ApiContract.of(base);
  const template = contract.templateOf(new URL(path, base).pathname);
  const operation = template ? contract.document.paths[template]?.[method.toLowerCase()] : undefined;
  const described = Object.keys(operation?.requestBody?.content ?? {});
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!described.includes(type)) {
    throw new Error(`the request does not match the API description: ${method.toUpperCase()} ${path} took a ${type} body → ${status}, but the description has ${described.join(', ') || 'no body'}`);
  }
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** Creates an operator through the API with the admin token; returns its token and id. */
export async function createOperator(base: string, name: string, role: 'operator' | 'admin' = 'operator'): Promise<{ id: string; token: string }> {
  const { status, body } = await api(base, 'POST', '/api/operators', { token: ADMIN_TOKEN, body: { name, role } });
  if (status !== 201) throw new Error(`creating operator ${name} answered ${status}: ${JSON.stringify(body)}`);
  return { id: body.id, token: body.token };
}

/** A valid new lot in Shibei, with overrides. */
export function newLot(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: '测试停车场', nameEn: 'Test Car Park', address: '市北区测试路1号',
    lat: 36.0950, lon: 120.3650, type: 'underground', status: 'open', capacity: 40,
    ...overrides,
  };
}

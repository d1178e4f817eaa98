// The OpenAPI 3.1 document, built from the registry's RouteDocs: every
// schema in it is generated from the zod schema the route parses or answers
// with (zod 4's z.toJSONSchema, JSON Schema 2020-12 — OpenAPI 3.1's dialect).
// Schemas registered here with a name become shared components.
import { z } from 'zod';
import { errorAnswerSchema, lotViewSchema } from '../../domain/api-answers.ts';
import type { ApiRegistry, HeaderDoc, MediaTypeDoc, Operation, ResponseDoc } from './registry.ts';

type Json = Record<string, unknown>;

/**
 * Schemas shown once under components.schemas and referenced wherever they
 * appear. zod keeps ids in the registry that also holds `.describe()` texts,
 * the global one.
 */
for (const [schema, id] of [[lotViewSchema, 'Lot'], [errorAnswerSchema, 'Error']] as const) {
  if (!z.globalRegistry.has(schema)) z.globalRegistry.add(schema, { id });
}

const STATUS_TEXT: Record<number, string> = {
  400: 'the request is not valid: `validation_failed` names every bad field in `details.fields`; `malformed_json` for a body that is not JSON',
  401: 'no token, or one that is not valid (`unauthorized`)',
  403: 'the token is valid but may not do this (`forbidden`)',
  404: 'not found (`not_found`)',
  409: 'it conflicts with what exists (`conflict`)',
  413: 'the body is too large (`payload_too_large`)',
  429: 'too many requests from this address (`rate_limited`, `details.retryAfterS`)',
  503: 'a dependency is down (`unavailable`)',
};

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
}

/** JSON Schema of one zod schema, its named parts lifted into `shared` and referenced from there. */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output', shared: Json): Json {
  const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  const suffix = io === 'input' ? 'Input' : '';
  const defs = (generated.$defs ?? {}) as Record<string, Json>;
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Json = {};
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string' && inner.startsWith('#/$defs/')) out[key] = `#/components/schemas/${inner.slice(8)}${suffix}`;
      else if (key !== '$schema' && key !== '$defs') out[key] = rewrite(inner);
    }
    return out;
  };
  for (const [name, def] of Object.entries(defs)) shared[`${name}${suffix}`] = rewrite(def);
  const id = z.globalRegistry.get(schema)?.id;
  if (id) {
    // A named schema comes out as a $ref to its own $defs entry (lifted above), or whole.
    if (!defs[id]) shared[`${id}${suffix}`] = rewrite(generated);
    return { $ref: `#/components/schemas/${id}${suffix}` };
  }
  return rewrite(generated) as Json;
}

function headers(docs: Record<string, HeaderDoc>): Json {
  return Object.fromEntries(
    Object.entries(docs).map(([name, doc]) => [name, { description: doc.description, schema: doc.schema ?? { type: 'string' }, ...(doc.required ? { required: true } : {}) }]),
  );
}

/** A body's `content`: its main media type (default application/json) first, then its alternatives. */
function content(main: MediaTypeDoc, alternatives: readonly MediaTypeDoc[], io: 'input' | 'output', shared: Json): Json {
  return Object.fromEntries([main, ...alternatives].map((doc) => [doc.contentType, { schema: jsonSchema(doc.schema, io, shared) }]));
}

function response(doc: ResponseDoc, shared: Json): Json {
  const answer: Json = { description: doc.description };
  if (doc.schema) answer.content = content({ contentType: doc.contentType ?? 'application/json', schema: doc.schema }, doc.alternatives ?? [], 'output', shared);
  if (doc.headers) answer.headers = headers(doc.headers);
  return answer;
}

function parameters(op: Operation, shared: Json): Json[] {
  const list: Json[] = [];
  const fromObject = (schema: z.ZodType, where: 'path' | 'query') => {
    const generated = jsonSchema(schema, 'input', shared);
    const properties = (generated.properties ?? {}) as Record<string, Json>;
    const required = new Set((generated.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      const { description: own, ...rest } = property;
      const description = own ?? op.parameterNotes?.[name];
      list.push({ name, in: where, required: where === 'path' || required.has(name), ...(description ? { description } : {}), schema: rest });
    }
  };
  if (op.params) fromObject(op.params, 'path');
  if (op.query) fromObject(op.query, 'query');
  for (const [name, doc] of Object.entries(op.headers ?? {})) {
    list.push({ name, in: 'header', required: doc.required ?? false, description: doc.description, schema: doc.schema ?? { type: 'string' } });
  }
  return list;
}

function operation(op: Operation, shared: Json): Json {
  const errors: Record<number, string> = { ...op.errors };
  if (op.auth) {
    errors[401] ??= STATUS_TEXT[401]!;
    errors[429] ??= STATUS_TEXT[429]!;
  }
  if (op.auth === 'admin') errors[403] ??= 'the token is not an administrator\'s (`forbidden`)';
  const responses: Json = {};
  for (const [status, doc] of Object.entries(op.responses)) responses[status] = response(doc, shared);
  for (const [status, text] of Object.entries(errors)) {
    responses[status] = { description: text || STATUS_TEXT[Number(status)] || 'an error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  }
  responses.default = { description: 'an unexpected error (`internal`)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  const answer: Json = {
    operationId: op.operationId,
    summary: op.summary,
    ...(op.description ? { description: op.description } : {}),
    tags: op.tags,
    parameters: parameters(op, shared),
    responses,
  };
  if (op.body) {
    answer.requestBody = {
      required: true,
      ...(op.body.description ? { description: op.body.description } : {}),
      content: content({ contentType: op.body.contentType ?? 'application/json', schema: op.body.schema }, op.body.alternatives ?? [], 'input', shared),
    };
  }
  answer.security = op.auth === 'gateway' ? [{ gatewayBasic: [] }] : op.auth ? [{ operatorToken: [] }] : [];
  return answer;
}

/** The whole document for the operations in the registry. */
export function buildOpenApiDocument(registry: ApiRegistry, info: DocumentInfo): Json {
  const shared: Json = {};
  jsonSchema(errorAnswerSchema, 'output', shared);
  const paths: Record<string, Json> = {};
  for (const op of registry.operations()) (paths[op.fullPath] ??= {})[op.method] = operation(op, shared);
  const tags = [...new Set(registry.operations().flatMap((op) => op.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.1',
    info: { title: info.title, version: info.version, description: info.description, license: { name: 'MIT', identifier: 'MIT' } },
    servers: [{ url: '/' }],
    tags,
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b))),
      securitySchemes: {
        operatorToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'An operator\'s token (`kwo_…`, shown once when the operator is created), or ADMIN_TOKEN.',
        },
        gatewayBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'A gateway\'s credential (HTTP ingest): its id as the user name, its secret (`kwg_…`, shown once when the gateway is created) as the password.',
        },
      },
    },
  };
}

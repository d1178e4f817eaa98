// The API's description, kept next to the routes: each route module exports
// its operations as RouteDocs (written with the same zod schemas its handlers
// parse and answer with), and the HTTP app adds them to one ApiRegistry where
// it mounts the router. The OpenAPI document is built from the registry
// (document.ts), and the app refuses to start when a route it serves is not
// described, or a description names a route it does not serve — so the
// document cannot drift from the code.
import type { Express, Router } from 'express';
import type { z } from 'zod';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HeaderDoc {
  description: string;
  /** JSON Schema of the header's value (default: a string). */
  schema?: Record<string, unknown>;
  required?: boolean;
}

/** A body in one more media type, beside the main one. */
export interface MediaTypeDoc {
  contentType: string;
  schema: z.ZodType;
}

export interface ResponseDoc {
  description: string;
  /** The body's schema; none for an answer without a body (204, 304). */
  schema?: z.ZodType;
  /** The body's media type (default application/json). */
  contentType?: string;
  /** The same answer in other media types (content negotiation), each with its schema. */
  alternatives?: MediaTypeDoc[];
  headers?: Record<string, HeaderDoc>;
}

export interface RouteDoc {
  method: HttpMethod;
  /** The path under the router's mount point, OpenAPI style: `/lots/{id}`. */
  path: string;
  /** Unique across the API; clients generate function names from it. */
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Who may call it: anyone (left out), an operator's bearer token, an admin's, or a gateway (HTTP Basic: its id and secret). */
  auth?: 'operator' | 'admin' | 'gateway';
  /** Path parameters, one property per `{name}` in the path. */
  params?: z.ZodObject;
  /** The query string, as the handler parses it (its input side is described). */
  query?: z.ZodType;
  /** Words for parameters whose schema has no description of its own: name → text. */
  parameterNotes?: Record<string, string>;
  /** Request headers the operation reads. */
  headers?: Record<string, HeaderDoc>;
  /**
   * The request body: its schema and media type (default application/json),
   * and the same body in other media types the route also takes (a file as
   * CSV or GeoJSON, a bare word as text/plain), each with its schema.
   */
  body?: { schema: z.ZodType; contentType?: string; description?: string; alternatives?: MediaTypeDoc[] };
  responses: Record<number, ResponseDoc>;
  /** Errors answered as {"error":{code,message,details}}: status → when. */
  errors?: Record<number, string>;
}

/** A described operation, with its full path (mount point included). */
export type Operation = RouteDoc & { fullPath: string };

/** `/lots/{id}` → `/lots/:id` (Express) and back. */
export const toExpressPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
export const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export class ApiRegistry {
  private readonly list: Operation[] = [];
  /** Routes served on purpose without a description (the pages and their scripts). */
  private readonly omitted = new Set<string>();

  /** Adds a router's operations, under the path the router is mounted at ('' for the app itself). */
  add(mountPath: string, docs: readonly RouteDoc[]): this {
    for (const doc of docs) {
      const fullPath = `${mountPath}${doc.path}`;
      const clash = this.list.find((op) => op.operationId === doc.operationId || (op.fullPath === fullPath && op.method === doc.method));
      if (clash) throw new Error(`API description: ${doc.method.toUpperCase()} ${fullPath} (${doc.operationId}) is described twice`);
      this.list.push({ ...doc, fullPath });
    }
    return this;
  }

  /** Routes of a router that are not part of the API (HTML pages, scripts): served, never described. */
  omit(mountPath: string, router: Router): this {
    for (const { method, path } of routesIn((router as unknown as { stack: Layer[] }).stack, mountPath)) this.omitted.add(`${method.toUpperCase()} ${toOpenApiPath(path)}`);
    return this;
  }

  operations(): readonly Operation[] {
    return this.list;
  }

  /**
   * Throws unless the described operations are exactly the routes the app
   * serves: a new route needs its RouteDoc (see the README, "Feeds and
   * integrations", for how one is added).
   */
  assertDescribes(app: Express): void {
    const served = new Set(routesOf(app).map(({ method, path }) => `${method.toUpperCase()} ${toOpenApiPath(path)}`).filter((r) => !this.omitted.has(r)));
    const described = new Set(this.list.map((op) => `${op.method.toUpperCase()} ${op.fullPath}`));
    const undescribed = [...served].filter((route) => !described.has(route));
    const missing = [...described].filter((route) => !served.has(route));
    if (undescribed.length || missing.length) {
      throw new Error(
        'the API description (server/http/openapi/) does not match the routes:' +
          (undescribed.length ? ` served but not described: ${undescribed.join(', ')};` : '') +
          (missing.length ? ` described but not served: ${missing.join(', ')};` : '') +
          ' add a RouteDoc beside the route and register it where the router is mounted (server/http/app.ts)',
      );
    }
  }
}

interface Layer {
  name?: string;
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route an Express 5 app serves, with its full path (mount points included). */
export function routesOf(app: Express): { method: string; path: string }[] {
  return routesIn((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
}

function routesIn(stack: readonly Layer[], mountPath: string): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const walk = (stack: readonly Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on && method !== '_all') routes.push({ method, path: prefix + layer.route.path });
      } else if (layer.name === 'router' && layer.handle?.stack) {
        walk(layer.handle.stack, prefix + (layer.rawPath === '/' ? '' : (layer.rawPath ?? '')));
      }
    }
  };
  walk(stack, mountPath);
  return routes;
}

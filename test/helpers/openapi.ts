// Real answers checked against the service's own OpenAPI document: for a
// method, a path and a status, the body must match the response schema the
// document gives (ajv, JSON Schema 2020-12 — OpenAPI 3.1's dialect). The API
// helpers (api(), getJson()) run every answer through it, so each API test
// also tests the description.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

type Json = Record<string, any>;
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

interface Template {
  path: string;
  pattern: RegExp;
  params: number;
}

export class ApiContract {
  private readonly ajv: Ajv2020;
  private readonly templates: Template[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(readonly document: Json) {
    this.ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    this.templates = Object.keys(document.paths as Json)
      .map((path) => ({
        path,
        pattern: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`),
        params: (path.match(/\{/g) ?? []).length,
      }))
      // A literal path wins over a template that also matches (/api/lots.geojson, not /api/lots/{id}).
      .sort((a, b) => a.params - b.params);
  }

  private static loaded = new Map<string, Promise<ApiContract>>();

  /** The document a running service serves, fetched once per service. */
  static of(base: string): Promise<ApiContract> {
    const key = new URL(base).origin;
    let contract = ApiContract.loaded.get(key);
    if (!contract) {
      contract = fetch(`${key}/api/openapi.json`).then(async (res) => {
        if (!res.ok) throw new Error(`GET /api/openapi.json answered ${res.status}`);
        return new ApiContract((await res.json()) as Json);
      });
      ApiContract.loaded.set(key, contract);
      contract.catch(() => ApiContract.loaded.delete(key));
    }
    return contract;
  }

  /** The documented path a concrete one is answered under, or undefined. */
  templateOf(path: string): string | undefined {
    const bare = path.split('?')[0]!;
    return this.templates.find((t) => t.pattern.test(bare))?.path;
  }

  /** A validator for one schema of the document, with its components at hand. */
  private validator(key: string, schema: Json): ValidateFunction {
    let validate = this.compiled.get(key);
    if (!validate) {
      const rewrite = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(rewrite);
        if (value === null || typeof value !== 'object') return value;
        return Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/$defs/') : rewrite(v)]),
        );
      };
      validate = this.ajv.compile({ ...(rewrite(schema) as Json), $defs: rewrite(this.document.components?.schemas ?? {}) });
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /**
   * What is wrong with an answer, by the document ([] when nothing is): an
   * undocumented path, status or media type, or a body its schema refuses.
   * A 404 for a path the API does not have is fine (there is nothing to check).
   */
  problems(method: string, path: string, status: number, contentType: string | null, body: unknown): string[] {
    const template = this.templateOf(path);
    const where = `${method.toUpperCase()} ${path} → ${status}`;
    if (!template) return status === 404 ? [] : [`${where}: the path is not in the API description`];
    const operation = (this.document.paths[template] as Json)[method.toLowerCase()] as Json | undefined;
    if (!operation) return status === 404 || status === 405 ? [] : [`${where}: ${method.toUpperCase()} ${template} is not in the API description`];
    const response = (operation.responses[String(status)] ?? (status >= 500 ? operation.responses.default : undefined)) as Json | undefined;
    if (!response) return [`${where}: status ${status} is not described for ${operation.operationId}`];
    if (!response.content) return body === undefined || body === '' ? [] : [`${where}: answered with a body, but the description has none`];
    const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const content = (response.content as Json)[mediaType] as Json | undefined;
    if (!content) return [`${where}: media type "${mediaType}" is not described (${Object.keys(response.content).join(', ')} are)`];
    const validate = this.validator(`${template} ${method} ${status} ${mediaType}`, content.schema as Json);
    if (validate(body)) return [];
    return (validate.errors ?? []).slice(0, 8).map((e) => `${where} (${mediaType}): ${e.instancePath || '(body)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
  }

  assertAnswer(method: string, path: string, status: number, contentType: string | null, body: unknown): void {
    const problems = this.problems(method, path, status, contentType, body);
    if (problems.length) throw new Error(`the answer does not match the API description:\n  ${problems.join('\n  ')}`);
  }
}

/** Checks an answer of a running service against its description (see ApiContract.problems). */
export async function assertMatchesApi(base: string, method: string, path: string, res: { status: number; headers: Headers }, body: unknown): Promise<void> {
  (await ApiContract.of(base)).assertAnswer(method, new URL(path, base).pathname, res.status, res.headers.get('content-type'), body);
}

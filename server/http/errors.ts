// Every error leaves as {"error":{"code","message","details"}}; never a stack trace.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { isDatabaseUnavailable } from '../catalog/db.ts';
import { AppError, localizedError, validationError } from '../domain/errors.ts';
import { localeOf, text } from '../domain/messages.ts';
import type { Logger } from '../log.ts';

/** What a client is told to wait before trying again while the SQL database is away. */
const RETRY_AFTER_S = 5;

/** Parses input with a schema, or throws a 400 naming every bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw validationError(what, parsed.error);
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(localizedError('not_found', text(`no route for ${req.method} ${req.baseUrl}${req.path}`, `没有此接口：${req.method} ${req.baseUrl}${req.path}`)));
};

/** The 4xx status Express, its router or body-parser gave an error of the request itself (http-errors), if any. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown; statusCode?: unknown } | null)?.status ?? (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

/** A request Express could not take (a path that is not UTF-8, a charset it cannot read…): the client's error, not ours. */
function clientError(err: { type?: string }, status: number): AppError {
  if (err instanceof URIError) return new AppError('bad_request', 'the request path is not valid percent-encoded UTF-8');
  if (status === 415) return new AppError('unsupported_media_type', `the request body's encoding or charset is not supported (send UTF-8 JSON)`);
  return new AppError('bad_request', `the request could not be read${err.type ? ` (${err.type})` : ''}`);
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (err?.type === 'entity.parse.failed') error = localizedError('malformed_json', text('the request body is not valid JSON', '请求内容不是有效的 JSON'));
    else if (err?.type === 'entity.too.large') error = localizedError('payload_too_large', text('the request body is too large', '请求内容过大'));
    else if (clientErrorStatus(err) !== undefined) error = clientError(err, clientErrorStatus(err)!);
    else if (isDatabaseUnavailable(err)) {
      // Not a bug but an outage (DESIGN.md §4): the transaction did not commit, and the client may try again.
      log.warn({ err: (err as Error).message, method: req.method, path: req.path }, 'SQL database unavailable: request refused with 503');
      error = localizedError(
        'unavailable',
        text('the lot database is unavailable at the moment; the request was not carried out — try again shortly', '停车场数据库暂不可用，请求未执行，请稍后再试'),
        undefined,
        { retryAfterS: RETRY_AFTER_S },
      );
      if (!res.headersSent) res.set('Retry-After', String(RETRY_AFTER_S));
    } else {
      log.error({ err, method: req.method, path: req.path }, 'unhandled error in HTTP handler');
      error = new AppError('internal', 'internal error');
    }
    // Half an answer already sent: Express's own handler closes the connection.
    if (res.headersSent) return next(err);
    // In the language the client asked for (Accept-Language; English by default): DESIGN.md §4, "Languages".
    const locale = localeOf(req.get('accept-language'));
    const { message, details } = error.in(locale);
    res.vary('Accept-Language').set('Content-Language', locale === 'zh' ? 'zh-CN' : 'en');
    res.status(error.status).json({ error: { code: error.code, message, ...(details === undefined ? {} : { details }) } });
  };
}

// Every error leaves as {"error":{"code","message","details"}}; never a stack trace.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, localizedError, validationError } from '../domain/errors.ts';
import { localeOf, text } from '../domain/messages.ts';
import type { Logger } from '../log.ts';

/** Parses input with a schema, or throws a 400 naming every bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw validationError(what, parsed.error);
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(localizedError('not_found', text(`no route for ${req.method} ${req.baseUrl}${req.path}`, `没有此接口：${req.method} ${req.baseUrl}${req.path}`)));
};

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (err?.type === 'entity.parse.failed') error = localizedError('malformed_json', text('the request body is not valid JSON', '请求内容不是有效的 JSON'));
    else if (err?.type === 'entity.too.large') error = localizedError('payload_too_large', text('the request body is too large', '请求内容过大'));
    else {
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

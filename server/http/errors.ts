// Every error leaves as {"error":{"code","message","details"}}; never a stack trace.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import { isDatabaseUnavailable } from '../catalog/db.ts';
import { AppError, validationError } from '../domain/errors.ts';
import type { Logger } from '../log.ts';

/** What a client is told to wait before trying again while the SQL database is away. */
const RETRY_AFTER_S = 5;

/** Parses input with a schema, or throws a 400 naming every bad field. */
export function parseOr400<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw validationError(what, parsed.error);
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    let error: AppError;
    if (err instanceof AppError) error = err;
    else if (err?.type === 'entity.parse.failed') error = new AppError('malformed_json', 'the request body is not valid JSON');
    else if (err?.type === 'entity.too.large') error = new AppError('payload_too_large', 'the request body is too large');
    else if (isDatabaseUnavailable(err)) {
      // Not a bug but an outage (DESIGN.md §4): the transaction did not commit, and the client may try again.
      log.warn({ err: (err as Error).message, method: req.method, path: req.path }, 'SQL database unavailable: request refused with 503');
      error = new AppError('unavailable', 'the lot database is unavailable at the moment; the request was not carried out — try again shortly', { retryAfterS: RETRY_AFTER_S });
      if (!res.headersSent) res.set('Retry-After', String(RETRY_AFTER_S));
    } else {
      log.error({ err, method: req.method, path: req.path }, 'unhandled error in HTTP handler');
      error = new AppError('internal', 'internal error');
    }
    // Half an answer already sent: Express's own handler closes the connection.
    if (res.headersSent) return next(err);
    res.status(error.status).json({
      error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) },
    });
  };
}

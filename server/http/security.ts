// Security headers (helmet) and rate limits. The Content-Security-Policy
// allows this origin only: no inline scripts or styles anywhere (the pages
// load their code from /app.js and /operator.js; Leaflet positions its layers
// through the CSSOM, which CSP allows), and map tiles from TILE_URL's origin.
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { localizedError } from '../domain/errors.ts';
import { text, type Text } from '../domain/messages.ts';

/** The origin(s) map tiles come from: `https://{s}.tile.example.org/…` → `https://*.tile.example.org`. */
export function tileOrigin(tileUrl: string): string {
  const match = /^(https?):\/\/([^/?#]+)/i.exec(tileUrl);
  if (!match) return "'self'";
  const host = match[2]!.replace(/\{[a-z]+\}/gi, '*');
  // A placeholder in a place CSP cannot express (inside a label): allow the scheme.
  return /^(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(host) ? `${match[1]!.toLowerCase()}://${host}` : `${match[1]!.toLowerCase()}:`;
}

export function securityHeaders(options: { tileUrl: string }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", tileOrigin(options.tileUrl)],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // The service is often reached over plain HTTP on a local network (and in
    // tests); HSTS belongs to the TLS terminator in front of it, if any.
    strictTransportSecurity: false,
  });
}

function limitReached(what: Text): RequestHandler {
  return (req, _res, next) => {
    const info = (req as typeof req & { rateLimit?: { resetTime?: Date } }).rateLimit;
    const retryAfterS = info?.resetTime ? Math.max(1, Math.ceil((info.resetTime.getTime() - Date.now()) / 1000)) : undefined;
    const message = text(
      `too many ${what.en} from this address; try again${retryAfterS ? ` in ${retryAfterS} s` : ' later'}`,
      `此地址的${what.zh}过多；请${retryAfterS ? ` ${retryAfterS} 秒后` : '稍后'}再试`,
    );
    next(localizedError('rate_limited', message, undefined, retryAfterS ? { retryAfterS } : {}));
  };
}

/** Bounds write requests (POST, PATCH, DELETE) per client IP and minute. */
export function writeRateLimit(perMinute: number): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skip: (req) => req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS',
    handler: (req, res, next) => limitReached(text('write requests', '写入请求'))(req, res, next),
  });
}

/** Bounds failed authentications (401s) per client IP: guessing tokens gets nowhere, quickly. */
export function authFailureRateLimit(per15Minutes: number): RequestHandler {
  return rateLimit({
    windowMs: 15 * 60_000,
    limit: per15Minutes,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    skipSuccessfulRequests: true,
    requestWasSuccessful: (_req, res) => res.statusCode !== 401,
    handler: (req, res, next) => limitReached(text('failed authentications', '认证失败次数'))(req, res, next),
  });
}

// Security headers (helmet) and rate limits. The Content-Security-Policy
// allows this origin only: no inline scripts or styles anywhere (the pages
// load their code from /app.js and /operator.js; Leaflet positions its layers
// through the CSSOM, which CSP allows), map tiles from TILE_URL's origin, and
// the service worker and manifests (worker-src, manifest-src) from this origin.
import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { localizedError, type AppError } from '../domain/errors.ts';
import { text, type Text } from '../domain/messages.ts';

/**
 * The origin(s) map tiles come from: `https://{s}.tile.example.org/…` →
 * `https://*.tile.example.org`; a placeholder inside the first label counts
 * for the whole label (Amap's `webrd0{s}.is.autonavi.com` →
 * `https://*.is.autonavi.com`), as CSP's wildcard is a whole label.
 */
export function tileOrigin(tileUrl: string): string {
  const match = /^(https?):\/\/([^/?#]+)/i.exec(tileUrl);
  if (!match) return "'self'";
  const host = match[2]!.replace(/^[^.]*\{[a-z]+\}[^.]*\./i, '*.').replace(/\{[a-z]+\}/gi, '*');
  // A placeholder in a place CSP cannot express (inside a later label): allow the scheme.
  return /^(\*\.)?[a-z0-9.-]+(:\d+)?$/i.test(host) ? `${match[1]!.toLowerCase()}://${host}` : `${match[1]!.toLowerCase()}:`;
}

export function securityHeaders(options: { tileUrls: readonly string[] }): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", ...new Set(options.tileUrls.map(tileOrigin))],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        // The map's service worker (/sw.js) and web app manifests, from this origin only (DESIGN.md §4).
        workerSrc: ["'self'"],
        manifestSrc: ["'self'"],
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

/**
 * Failed authentications per client IP (an IPv6 client by its /56, as the
 * write limit counts), in fixed windows. Only failures are counted, and only
 * after the token was checked: a valid token is never refused, however many
 * failures its address has (behind a proxy, everyone's). Memory is bounded:
 * expired windows are swept, and past `maxAddresses` the oldest is dropped.
 */
export class FailedAuthentications {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 15 * 60_000,
    private readonly clock: () => number = Date.now,
    private readonly maxAddresses = 100_000,
  ) {}

  static keyOf(ip: string | undefined): string {
    return ipKeyGenerator(ip ?? 'unknown');
  }

  /** Whether this address is over its limit now (its next failure gets a 429). */
  limited(key: string): boolean {
    const window = this.current(key);
    return window !== undefined && window.count >= this.limit;
  }

  /** Counts a failure; the answer: refused for the limit (429, with seconds to wait) or a plain 401. */
  record(key: string): { limited: false } | { limited: true; retryAfterS: number } {
    const now = this.clock();
    let window = this.current(key);
    if (!window) {
      if (this.windows.size >= this.maxAddresses) this.sweep(now);
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(key, window);
    }
    window.count++;
    if (window.count <= this.limit) return { limited: false };
    return { limited: true, retryAfterS: Math.max(1, Math.ceil((window.resetAt - now) / 1000)) };
  }

  private current(key: string): { count: number; resetAt: number } | undefined {
    const window = this.windows.get(key);
    if (window && window.resetAt <= this.clock()) {
      this.windows.delete(key);
      return undefined;
    }
    return window;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
    while (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }
}

/** The 429 for an address over its failed-authentication limit. */
export function tooManyFailures(retryAfterS: number): AppError {
  const message = text(
    `too many failed authentications from this address; try again in ${retryAfterS} s`,
    `此地址的认证失败次数过多；请 ${retryAfterS} 秒后再试`,
  );
  return localizedError('rate_limited', message, undefined, { retryAfterS });
}

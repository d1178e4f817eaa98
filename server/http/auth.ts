// Bearer-token authentication for the operators' API. The token never reaches
// a log: only the principal it stands for is kept on the request.
import type { Request, RequestHandler } from 'express';
import type { Principal } from '../domain/principal.ts';
import type { OperatorAccounts } from '../manage/operators.ts';
import { localizedError } from '../domain/errors.ts';
import { text, type Text } from '../domain/messages.ts';
import { FailedAuthentications, tooManyFailures } from './security.ts';

const principals = new WeakMap<Request, Principal>();

/** The principal of an authenticated request (after requireAuth). */
export function principalOf(req: Request): Principal {
  const principal = principals.get(req);
  if (!principal) throw new Error('principalOf() used on a route without requireAuth');
  return principal;
}

const unauthorized = (message: Text) => localizedError('unauthorized', message);

/**
 * Checks the bearer token first, then counts a failure against the caller's
 * address: a valid token always passes; an address over AUTH_FAILURE_LIMIT
 * gets 429 for its failures only. While over the limit, a token that cannot
 * be one (wrong shape) is refused without a database lookup.
 */
export function requireAuth(operators: OperatorAccounts, failures: FailedAuthentications): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const token = match?.[1];
    const key = FailedAuthentications.keyOf(req.ip);
    const worthLookingUp = token !== undefined && (!failures.limited(key) || operators.couldBeToken(token));
    const principal = worthLookingUp ? await operators.authenticate(token) : undefined;
    if (principal) {
      principals.set(req, principal);
      return next();
    }
    res.set('WWW-Authenticate', 'Bearer realm="kongwei"');
    const verdict = failures.record(key);
    if (verdict.limited) {
      res.set('Retry-After', String(verdict.retryAfterS));
      return next(tooManyFailures(verdict.retryAfterS));
    }
    if (!token) return next(unauthorized(text("this call needs an operator's token: Authorization: Bearer <token>", '此调用需要运营令牌：Authorization: Bearer <令牌>')));
    next(unauthorized(text('the token is not valid (revoked, mistyped, or from another installation)', '令牌无效（已停用、输错，或来自其他部署）')));
  };
}

export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    next(principalOf(req).role === 'admin' ? undefined : localizedError('forbidden', text('only an administrator may do this', '只有管理员可以执行此操作')));
  };
}

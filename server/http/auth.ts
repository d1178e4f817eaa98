// Bearer-token authentication for the operators' API. The token never reaches
// a log: only the principal it stands for is kept on the request.
import type { Request, RequestHandler } from 'express';
import type { Principal } from '../domain/principal.ts';
import type { OperatorAccounts } from '../manage/operators.ts';
import { localizedError } from '../domain/errors.ts';
import { text, type Text } from '../domain/messages.ts';

const principals = new WeakMap<Request, Principal>();

/** The principal of an authenticated request (after requireAuth). */
export function principalOf(req: Request): Principal {
  const principal = principals.get(req);
  if (!principal) throw new Error('principalOf() used on a route without requireAuth');
  return principal;
}

const unauthorized = (message: Text) => localizedError('unauthorized', message);

export function requireAuth(operators: OperatorAccounts): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    res.set('WWW-Authenticate', 'Bearer realm="kongwei"');
    if (!match) return next(unauthorized(text("this call needs an operator's token: Authorization: Bearer <token>", '此调用需要运营令牌：Authorization: Bearer <令牌>')));
    const principal = await operators.authenticate(match[1]!);
    if (!principal) return next(unauthorized(text('the token is not valid (revoked, mistyped, or from another installation)', '令牌无效（已停用、输错，或来自其他部署）')));
    res.removeHeader('WWW-Authenticate');
    principals.set(req, principal);
    next();
  };
}

export function requireAdmin(): RequestHandler {
  return (req, _res, next) => {
    next(principalOf(req).role === 'admin' ? undefined : localizedError('forbidden', text('only an administrator may do this', '只有管理员可以执行此操作')));
  };
}

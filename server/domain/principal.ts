// Who is making a request, and what they may manage. Pure: the accounts
// themselves live in SQL (catalog/operators.ts), tokens are checked by the
// use case (manage/operators.ts).
import { z } from 'zod';
import { text } from './text.ts';

export const roles = ['admin', 'operator'] as const;
export type Role = (typeof roles)[number];

/** Who is making a request. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}

/** An admin may change every lot; an operator the lots it owns. */
export function mayManage(principal: Principal, ownerId: string | null): boolean {
  return principal.role === 'admin' || (ownerId !== null && ownerId === principal.id);
}

export const ADMIN_TOKEN_PRINCIPAL: Principal = { id: 'admin', name: 'ADMIN_TOKEN', role: 'admin' };

export const newOperatorSchema = z
  .object({
    name: text(200),
    role: z.enum(roles).default('operator'),
  })
  .strict();
export type NewOperator = z.output<typeof newOperatorSchema>;

export interface OperatorRecord extends Principal {
  createdAt: string;
}

/** Tokens carry this prefix, so a leaked one is recognisable (and found by secret scanners). */
export const OPERATOR_TOKEN_PREFIX = 'kwo_';

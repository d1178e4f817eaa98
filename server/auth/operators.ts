// Operator accounts: who may change lots. Each has a bearer token, shown once
// at creation and stored as its SHA-256. ADMIN_TOKEN (env) stands for an
// administrator that is not stored, to create the first operators.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { z } from 'zod';
import { constantTimeEqual, hashToken, newSecret } from './secrets.ts';

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
    name: z.string().trim().min(1).max(200),
    role: z.enum(roles).default('operator'),
  })
  .strict();
export type NewOperator = z.output<typeof newOperatorSchema>;

export interface OperatorRecord extends Principal {
  createdAt: string;
}

interface OperatorRow {
  id: string;
  name: string;
  role: string;
  token_hash: string;
  created_at: Date | string | number;
  disabled_at: Date | string | number | null;
}

const toIso = (v: Date | string | number) => new Date(v).toISOString();
const fromRow = (row: OperatorRow): OperatorRecord => ({ id: row.id, name: row.name, role: row.role as Role, createdAt: toIso(row.created_at) });

/** Tokens carry this prefix, so a leaked one is recognisable (and found by secret scanners). */
export const OPERATOR_TOKEN_PREFIX = 'kwo_';

export class OperatorRepository {
  constructor(
    private readonly db: Knex,
    private readonly adminToken?: string,
  ) {}

  /** Creates an operator; its token is in the answer and nowhere else, ever. */
  async create(input: NewOperator, now = new Date()): Promise<{ operator: OperatorRecord; token: string }> {
    const token = newSecret(OPERATOR_TOKEN_PREFIX);
    const stamp = now.toISOString();
    const row = { id: `op-${randomBytes(6).toString('hex')}`, name: input.name, role: input.role, token_hash: hashToken(token), created_at: stamp, updated_at: stamp };
    await this.db('operators').insert(row);
    return { operator: { id: row.id, name: row.name, role: row.role, createdAt: stamp }, token };
  }

  async list(): Promise<OperatorRecord[]> {
    const rows = await this.db<OperatorRow>('operators').whereNull('disabled_at').orderBy('created_at');
    return rows.map(fromRow);
  }

  /** Disables an operator: its token stops working at once; its lots stay (an admin manages them). False if unknown. */
  async disable(id: string, now = new Date()): Promise<boolean> {
    const changed = await this.db('operators').where({ id }).whereNull('disabled_at').update({ disabled_at: now.toISOString(), updated_at: now.toISOString() });
    return changed > 0;
  }

  /** The principal a bearer token stands for, or undefined. */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (this.adminToken && constantTimeEqual(token, this.adminToken)) return ADMIN_TOKEN_PRINCIPAL;
    // Looked up by its hash: the lookup's timing can tell nothing about a token.
    const row = await this.db<OperatorRow>('operators').where({ token_hash: hashToken(token) }).whereNull('disabled_at').first();
    return row ? { id: row.id, name: row.name, role: row.role as Role } : undefined;
  }
}

// Operator accounts in SQL (table `operators`): the rows only. Tokens are made
// and checked by the use case (manage/operators.ts); here they are hashes.
import type { Knex } from 'knex';
import type { OperatorRecord, Principal, Role } from '../domain/principal.ts';

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

export class OperatorRepository {
  constructor(private readonly db: Knex) {}

  async insert(operator: OperatorRecord, tokenHash: string): Promise<void> {
    const { id, name, role, createdAt } = operator;
    await this.db('operators').insert({ id, name, role, token_hash: tokenHash, created_at: createdAt, updated_at: createdAt });
  }

  /** The operators not disabled, oldest first. */
  async list(): Promise<OperatorRecord[]> {
    const rows = await this.db<OperatorRow>('operators').whereNull('disabled_at').orderBy('created_at');
    return rows.map(fromRow);
  }

  /** Marks an operator disabled; false if unknown or disabled already. */
  async disable(id: string, now: Date): Promise<boolean> {
    const changed = await this.db('operators').where({ id }).whereNull('disabled_at').update({ disabled_at: now.toISOString(), updated_at: now.toISOString() });
    return changed > 0;
  }

  /** The enabled operator whose token has this hash. */
  async byTokenHash(tokenHash: string): Promise<Principal | undefined> {
    const row = await this.db<OperatorRow>('operators').where({ token_hash: tokenHash }).whereNull('disabled_at').first();
    return row ? { id: row.id, name: row.name, role: row.role as Role } : undefined;
  }
}

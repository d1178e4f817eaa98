// Operator accounts: who may change lots. Each has a bearer token, shown once
// at creation and stored as its SHA-256. ADMIN_TOKEN (env) stands for an
// administrator that is not stored, to create the first operators.
import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import type { Bus } from '../bus.ts';
import { constantTimeEqual, hashToken, newSecret } from '../auth/secrets.ts';
import { OperatorRepository } from '../catalog/operators.ts';
import {
  ADMIN_TOKEN_PRINCIPAL, OPERATOR_TOKEN_PREFIX, newOperatorSchema, type NewOperator, type OperatorRecord, type Principal,
} from '../domain/principal.ts';

export { newOperatorSchema, OPERATOR_TOKEN_PREFIX };
export type { NewOperator, OperatorRecord, Principal };

/** `kwo_` and 32 random bytes in base64url (newSecret). */
const OPERATOR_TOKEN_SHAPE = new RegExp(`^${OPERATOR_TOKEN_PREFIX}[A-Za-z0-9_-]{43}$`);

export class OperatorAccounts {
  private readonly repository: OperatorRepository;

  constructor(
    db: Knex,
    private readonly adminToken?: string,
    /** Told when an operator's gateways lose their credentials (its disabling), so the broker drops them. */
    private readonly bus?: Bus,
  ) {
    this.repository = new OperatorRepository(db);
  }

  /** Creates an operator; its token is in the answer and nowhere else, ever. */
  async create(input: NewOperator, now = new Date()): Promise<{ operator: OperatorRecord; token: string }> {
    const token = newSecret(OPERATOR_TOKEN_PREFIX);
    const operator: OperatorRecord = { id: `op-${randomBytes(6).toString('hex')}`, name: input.name, role: input.role, createdAt: now.toISOString() };
    await this.repository.insert(operator, hashToken(token));
    return { operator, token };
  }

  list(): Promise<OperatorRecord[]> {
    return this.repository.list();
  }

  /**
   * Disables an operator: its token stops working at once, and so do its
   * gateways' credentials (the embedded broker drops their connections). Its
   * lots and gateways stay, for an admin to manage: the lots on the map, the
   * gateways listed under them. False if unknown.
   */
  async disable(id: string, now = new Date()): Promise<boolean> {
    const disabled = await this.repository.disable(id, now);
    // Awaited: the gateways are refused (and dropped by the embedded broker) before this answers.
    if (disabled) await this.bus?.emitAndWait('gateways.changed');
    return disabled;
  }

  /** Whether a string has the shape of a token this service accepts (checked without a lookup). */
  couldBeToken(token: string): boolean {
    return OPERATOR_TOKEN_SHAPE.test(token) || (this.adminToken !== undefined && constantTimeEqual(token, this.adminToken));
  }

  /** The principal a bearer token stands for, or undefined. */
  async authenticate(token: string): Promise<Principal | undefined> {
    if (this.adminToken && constantTimeEqual(token, this.adminToken)) return ADMIN_TOKEN_PRINCIPAL;
    // Looked up by its hash: the lookup's timing can tell nothing about a token.
    return this.repository.byTokenHash(hashToken(token));
  }
}

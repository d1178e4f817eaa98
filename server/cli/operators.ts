// npm run operators -- add "<name>" [--admin] | list | disable <id>
// Operator accounts from the command line, on the configured database
// (DATABASE_URL, or the SQLite file in DATA_DIR): the same as POST /api/operators.
import { parseArgs } from 'node:util';
import { newOperatorSchema } from '../domain/principal.ts';
import { OperatorAccounts } from '../manage/operators.ts';
import { withDatabase } from './db.ts';

const usage = `Usage: npm run operators -- <command>
  add "<name>" [--admin]   create an operator (or an admin) and print its token, shown this once
  list                     list operators (never their tokens)
  disable <id>             revoke an operator's token at once, and its gateways' credentials (its lots stay, for an admin)
Uses DATABASE_URL (PostgreSQL) or DATA_DIR (SQLite), as the service does.`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { admin: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(usage);
    return;
  }
  if (command === 'add') {
    const parsed = newOperatorSchema.safeParse({ name: rest.join(' '), role: values.admin ? 'admin' : 'operator' });
    if (!parsed.success) throw new Error(`a name is needed: npm run operators -- add "<name>"`);
    const { operator, token } = await withDatabase((db) => new OperatorAccounts(db).create(parsed.data));
    console.error(`created ${operator.role} ${operator.id} "${operator.name}"; its token (shown this once, keep it safe):`);
    console.log(token);
    return;
  }
  if (command === 'list') {
    const operators = await withDatabase((db) => new OperatorAccounts(db).list());
    for (const o of operators) console.log(`${o.id}\t${o.role}\t${o.createdAt}\t${o.name}`);
    return;
  }
  if (command === 'disable' && rest[0]) {
    const id = rest[0];
    if (!(await withDatabase((db) => new OperatorAccounts(db).disable(id)))) throw new Error(`no active operator "${id}"`);
    console.error(`disabled ${id}: its token no longer works; a running service drops its gateways within a minute (DELETE /api/operators/${id} does at once)`);
    return;
  }
  throw new Error(`unknown command "${command}"\n${usage}`);
}

main().catch((err) => {
  console.error(`operators: ${(err as Error).message}`);
  process.exit(1);
});

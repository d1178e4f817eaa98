// Which SQL errors mean "the database is away, try again" (a 503 to operators,
// a fallback for ingest) and which mean the statement was refused.
import assert from 'node:assert/strict';
import { isDatabaseUnavailable } from '../../server/catalog/db.ts';

const error = (message: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(message), fields);

describe('isDatabaseUnavailable', () => {
  it('says yes for a database that cannot be reached, is shutting down, starting up or crashed', () => {
    for (const err of [
      error('connect ECONNREFUSED 127.0.0.1:5432', { code: 'ECONNREFUSED' }),
      error('read ECONNRESET', { code: 'ECONNRESET' }),
      error('getaddrinfo ENOTFOUND db', { code: 'ENOTFOUND' }),
      error('terminating connection due to administrator command', { code: '57P01' }),
      error('the database system is starting up', { code: '57P03' }),
      error('connection failure', { code: '08006' }),
      error('sorry, too many clients already', { code: '53300' }),
      error('Connection terminated unexpectedly'),
      error('ROLLBACK - Client has encountered a connection error and is not queryable'),
      error('Knex: Timeout acquiring a connection. The pool is probably full.', { name: 'KnexTimeoutError' }),
      error('SQLITE_BUSY: database is locked', { code: 'SQLITE_BUSY' }),
      error('insert failed', { cause: error('connect ECONNREFUSED', { code: 'ECONNREFUSED' }) }),
    ]) {
      assert.equal(isDatabaseUnavailable(err), true, err.message);
    }
  });

  it('says no for a statement the database refused, and for anything else', () => {
    for (const err of [
      error('duplicate key value violates unique constraint', { code: '23505' }),
      error('syntax error at or near "selct"', { code: '42601' }),
      error('SQLITE_CONSTRAINT: UNIQUE constraint failed', { code: 'SQLITE_CONSTRAINT' }),
      error('Cannot read properties of undefined'),
      undefined,
      null,
      'a string',
    ]) {
      assert.equal(isDatabaseUnavailable(err), false, String(err instanceof Error ? err.message : err));
    }
  });
});

import type { Kysely, Selectable } from 'kysely';
import { Conflict } from '../errors.js';
import type { ClientsTable, Database } from './schema.js';
import { revokeFamiliesIn } from './sql-refresh.js';
import type { ClientRecord, ClientStore, RevokedAccessToken } from './store.js';

export class SqlClientStore implements ClientStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly isUniqueViolation: (error: unknown) => boolean,
  ) {}

  async create(client: ClientRecord): Promise<ClientRecord> {
    try {
      await this.db
        .insertInto('clients')
        .values({
          id: client.id,
          name: client.name,
          secret_hash: client.secretHash,
          scopes: client.scopes.join(' '),
          created_at: client.createdAt,
        })
        .execute();
    } catch (error) {
      if (this.isUniqueViolation(error)) throw new Conflict(`A client with id "${client.id}" already exists`);
      throw error;
    }
    return client;
  }

  async findById(id: string): Promise<ClientRecord | undefined> {
    const row = await this.db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toClient(row) : undefined;
  }

  async list(query: { limit: number; offset: number }): Promise<{ clients: readonly ClientRecord[]; total: number }> {
    const [countRow, rows] = await Promise.all([
      this.db
        .selectFrom('clients')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow(),
      this.db.selectFrom('clients').selectAll().orderBy('created_at').orderBy('id').limit(query.limit).offset(query.offset).execute(),
    ]);
    return { clients: rows.map(toClient), total: Number(countRow.n) };
  }

  delete(id: string, at: number): Promise<{ deleted: boolean; revokedAccessTokens: readonly RevokedAccessToken[] }> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx.deleteFrom('clients').where('id', '=', id).executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return { deleted: false, revokedAccessTokens: [] };
      // A deleted client's logins end with it.
      const { revokedAccessTokens } = await revokeFamiliesIn(trx, { clientId: id }, at, 'client_deleted');
      return { deleted: true, revokedAccessTokens };
    });
  }
}

function toClient(row: Selectable<ClientsTable>): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secret_hash,
    scopes: row.scopes === '' ? [] : row.scopes.split(' '),
    createdAt: Number(row.created_at),
  };
}

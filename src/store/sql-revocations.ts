import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { RevocationStore, RevokedAccessToken } from './store.js';

export class SqlRevocationStore implements RevocationStore {
  constructor(private readonly db: Kysely<Database>) {}

  async add(token: RevokedAccessToken, at: number): Promise<void> {
    await this.db
      .insertInto('revoked_tokens')
      .values({ jti: token.jti, expires_at: token.expiresAt, revoked_at: at })
      .onConflict((oc) => oc.column('jti').doNothing())
      .execute();
  }

  async since(since: number, now: number): Promise<readonly RevokedAccessToken[]> {
    const rows = await this.db
      .selectFrom('revoked_tokens')
      .select(['jti', 'expires_at'])
      .where('revoked_at', '>=', since)
      .where('expires_at', '>', now)
      .execute();
    return rows.map((r) => ({ jti: r.jti, expiresAt: Number(r.expires_at) }));
  }

  async prune(now: number): Promise<number> {
    const result = await this.db.deleteFrom('revoked_tokens').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

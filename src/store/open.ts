import type { DatabaseConfig } from '../config.js';
import type { Store } from './store.js';
import { openSqliteStore } from './sqlite/open.js';

/** Opens the configured store backend. */
export async function openStore(database: DatabaseConfig): Promise<Store> {
  if (database.kind === 'sqlite') return openSqliteStore(database.path);
  const { openPostgresStore } = await import('./postgres/open.js');
  return openPostgresStore(database.url);
}

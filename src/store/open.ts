import type { DatabaseConfig } from '../config.js';
import type { Store } from './store.js';
import { openSqliteStore } from './sqlite/open.js';

/** Opens the configured store backend; `onConnectionLost`: see openPostgresStore. */
export async function openStore(database: DatabaseConfig, onConnectionLost?: (error: Error) => void): Promise<Store> {
  if (database.kind === 'sqlite') return openSqliteStore(database.path);
  const { openPostgresStore } = await import('./postgres/open.js');
  return openPostgresStore(database.url, onConnectionLost);
}

import type { Config } from '../config.js';
import { Conflict } from '../errors.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import type { UserService } from './users.js';

/** Creates the configured admin when the store has no user at all; several instances may race, one wins. */
export async function bootstrapAdmin(config: Config, store: Store, users: UserService, log: Log): Promise<void> {
  if (!config.admin || (await store.users.count()) > 0) return;
  try {
    const user = await users.create({ username: config.admin.username, password: config.admin.password, roles: ['admin'] });
    log.info({ username: user.username }, 'created the bootstrap admin');
  } catch (error) {
    if (!(error instanceof Conflict)) throw error;
  }
}

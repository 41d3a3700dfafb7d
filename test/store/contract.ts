import type { StoreFactory } from '../helpers/stores.js';
import { coreStoreContract } from './contract-core.js';
import { oauthStoreContract } from './contract-oauth.js';

/** The one contract every Store backend runs: each backend's test file calls this once. */
export function storeContract(backend: string, open: StoreFactory): void {
  coreStoreContract(backend, open);
  oauthStoreContract(backend, open);
}

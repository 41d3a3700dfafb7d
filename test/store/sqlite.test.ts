import { sqliteStore } from '../helpers/stores.js';
import { storeContract } from './contract.js';

storeContract('sqlite', sqliteStore);

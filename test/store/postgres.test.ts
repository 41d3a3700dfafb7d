import { postgresStore } from '../helpers/stores.js';
import { storeContract } from './contract.js';

storeContract('PostgreSQL', postgresStore);

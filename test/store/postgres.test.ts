import { openPostgresStore } from '../../src/store/postgres/open.js';
import { createSchema } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

storeContract('PostgreSQL', async () => {
  const schema = await createSchema();
  const store = openPostgresStore(schema.url);
  return {
    store,
    async cleanup() {
      await store.close();
      await schema.drop();
    },
  };
});

import { parse } from './args.js';
import { openCommandRuntime } from './runtime.js';

export async function migrateCommand(args: readonly string[]): Promise<void> {
  parse(args, {}, { min: 0, max: 0, usage: 'gatehouse migrate' });
  // Opening the runtime applies pending migrations; report what the store is at.
  const runtime = await openCommandRuntime();
  try {
    const applied = await runtime.store.migrate();
    process.stderr.write(applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'the store is up to date\n');
  } finally {
    await runtime.close();
  }
}

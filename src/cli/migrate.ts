import { parse } from './args.js';
import { openCommandRuntime } from './runtime.js';

export async function migrateCommand(args: readonly string[]): Promise<void> {
  parse(args, {}, { min: 0, max: 0, usage: 'gatehouse migrate' });
  // Opening the runtime applies pending migrations, as it does for every command; report those.
  const runtime = await openCommandRuntime();
  try {
    const applied = runtime.migrationsApplied;
    process.stderr.write(applied.length > 0 ? `applied ${applied.join(', ')}\n` : 'the store is up to date\n');
  } finally {
    await runtime.close();
  }
}

import { ConfigError, GatehouseError, UsageError } from '../errors.js';
import { clientCommand } from './client.js';
import { keysCommand } from './keys.js';
import { migrateCommand } from './migrate.js';
import { serveCommand } from './serve.js';
import { userCommand } from './user.js';

const USAGE = `usage: gatehouse <command>

  serve                         start the server
  migrate                       apply database migrations
  user add|list|disable|enable|delete|import
  client add|list|delete        manage OAuth clients
  keys rotate|list              manage signing keys

Configuration comes from GATEHOUSE_* environment variables (see the README).`;

const commands: Record<string, (args: readonly string[]) => Promise<void>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  user: userCommand,
  client: clientCommand,
  keys: keysCommand,
};

/** Exit codes: 0 ok, 1 failure, 2 usage; one clear line on stderr, never a stack trace. */
async function main(argv: readonly string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"; run gatehouse --help`);
  await command(args);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`gatehouse: ${error.message}\n`);
    process.exit(2);
  }
  const known = error instanceof ConfigError || error instanceof GatehouseError;
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`gatehouse: ${known ? message : `failed: ${message.split('\n')[0]}`}\n`);
  process.exit(1);
});

import { ConfigError, excerpt, GatehouseError, UsageError } from '../errors.js';
import { out } from './output.js';

const USAGE = `usage: gatehouse <command>

  serve                         start the server
  migrate                       apply database migrations
  user add|list|disable|enable|delete|import
  client add|list|delete        manage OAuth clients
  keys rotate|list              manage signing keys

Configuration comes from GATEHOUSE_* environment variables (see the README).`;

type Command = (args: readonly string[]) => Promise<void>;

// Each command loads only its own modules: `serve` starts without the other commands', and
// `user`, `client`, `keys` and `migrate` run without loading the HTTP server.
const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve.js')).serveCommand,
  migrate: async () => (await import('./migrate.js')).migrateCommand,
  user: async () => (await import('./user.js')).userCommand,
  client: async () => (await import('./client.js')).clientCommand,
  keys: async () => (await import('./keys.js')).keysCommand,
};

/** Exit codes: 0 ok, 1 failure, 2 usage; one clear line on stderr, never a stack trace. */
async function main(argv: readonly string[]): Promise<void> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out(`${USAGE}\n`);
    return;
  }
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command ${excerpt(name)}; run gatehouse --help`);
  const command = await load();
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

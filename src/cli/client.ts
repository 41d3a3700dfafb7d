import { excerpt, UsageError } from '../errors.js';
import { toClientView } from '../services/clients.js';
import { parse } from './args.js';
import { out } from './output.js';
import { clientService, openCommandRuntime } from './runtime.js';

export async function clientCommand(args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return addClient(rest);
    case 'list':
      return listClients(rest);
    case 'delete':
      return deleteClient(rest);
    default:
      throw new UsageError(`unknown client command${sub ? ` ${excerpt(sub)}` : ''}; one of: add, list, delete`);
  }
}

async function addClient(args: readonly string[]): Promise<void> {
  const usage = 'gatehouse client add NAME [--public] [--scope S]... [--json]';
  const { values, positionals } = parse(
    args,
    { public: { type: 'boolean' }, scope: { type: 'string', multiple: true }, json: { type: 'boolean' } },
    { min: 1, max: 1, usage },
  );
  const runtime = await openCommandRuntime();
  try {
    const { client, secret } = await clientService(runtime).register({
      name: positionals[0] as string,
      public: values.public ?? false,
      // `--scope "a b"` reads as the scope parameter of OAuth does: two scopes.
      scopes: (values.scope ?? []).flatMap((s) => s.split(' ')).filter(Boolean),
    });
    if (values.json) {
      out(`${JSON.stringify({ client_id: client.id, ...(secret !== undefined ? { client_secret: secret } : {}) })}\n`);
    } else {
      out(`client_id: ${client.id}\n`);
      if (secret !== undefined) out(`client_secret: ${secret}\n`);
    }
    const kind = secret === undefined ? 'public' : 'confidential';
    process.stderr.write(`registered ${kind} client "${client.name}" (scopes: ${client.scopes.join(' ') || 'none'})\n`);
    if (secret !== undefined) process.stderr.write('the secret is shown only now; only its hash is kept\n');
  } finally {
    await runtime.close();
  }
}

async function listClients(args: readonly string[]): Promise<void> {
  const { values } = parse(args, { json: { type: 'boolean' } }, { min: 0, max: 0, usage: 'gatehouse client list [--json]' });
  const runtime = await openCommandRuntime();
  try {
    const { clients, total } = await clientService(runtime).list({ limit: 10_000, offset: 0 });
    if (values.json) {
      out(`${JSON.stringify({ total, clients: clients.map(toClientView) })}\n`);
      return;
    }
    for (const c of clients.map(toClientView)) {
      out(`${c.client_id}\t${c.name}\t${c.public ? 'public' : 'confidential'}\t${c.scopes.join(' ') || '-'}\t${c.created_at}\n`);
    }
    process.stderr.write(`${clients.length} clients\n`);
  } finally {
    await runtime.close();
  }
}

async function deleteClient(args: readonly string[]): Promise<void> {
  const { positionals } = parse(args, {}, { min: 1, max: 1, usage: 'gatehouse client delete CLIENT_ID' });
  const runtime = await openCommandRuntime();
  try {
    await clientService(runtime).delete(positionals[0] as string);
    process.stderr.write(`deleted client ${positionals[0] as string}; its logins have ended\n`);
  } finally {
    await runtime.close();
  }
}

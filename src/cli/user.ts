import { excerpt, UsageError } from '../errors.js';
import { toProfile } from '../services/users.js';
import { parse } from './args.js';
import { readImportFile } from './import-file.js';
import { out } from './output.js';
import { promptPassword, readPasswordFromStdin } from './password-input.js';
import { openCommandRuntime, userService } from './runtime.js';

export async function userCommand(args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'add':
      return addUser(rest);
    case 'list':
      return listUsers(rest);
    case 'disable':
    case 'enable':
      return setDisabled(rest, sub === 'disable');
    case 'delete':
      return deleteUser(rest);
    case 'import':
      return importUsers(rest);
    default:
      throw new UsageError(`unknown user command${sub ? ` ${excerpt(sub)}` : ''}; one of: add, list, disable, enable, delete, import`);
  }
}

async function addUser(args: readonly string[]): Promise<void> {
  const usage = 'gatehouse user add USERNAME [--email E] [--full-name N] [--role R]... [--disabled] [--password-stdin]';
  const { values, positionals } = parse(
    args,
    {
      email: { type: 'string' },
      'full-name': { type: 'string' },
      role: { type: 'string', multiple: true },
      disabled: { type: 'boolean' },
      'password-stdin': { type: 'boolean' },
    },
    { min: 1, max: 1, usage },
  );
  // Read the password before opening the store, so a bad start leaves nothing behind.
  const password = values['password-stdin'] ? await readPasswordFromStdin() : await promptPassword();
  const runtime = await openCommandRuntime();
  try {
    const user = await userService(runtime).create({
      username: positionals[0] as string,
      password,
      email: values.email ?? null,
      fullName: values['full-name'] ?? null,
      ...(values.role ? { roles: values.role } : {}),
      disabled: values.disabled ?? false,
    });
    out(`${user.id}\n`);
    process.stderr.write(`created user ${user.username} (roles: ${user.roles.join(', ') || 'none'})\n`);
  } finally {
    await runtime.close();
  }
}

async function listUsers(args: readonly string[]): Promise<void> {
  const { values } = parse(
    args,
    { search: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' } },
    { min: 0, max: 0, usage: 'gatehouse user list [--search S] [--limit N] [--json]' },
  );
  const limit = values.limit === undefined ? 1000 : parseLimit(values.limit);
  const runtime = await openCommandRuntime();
  try {
    const { users, total } = await userService(runtime).list({ limit, offset: 0, ...(values.search ? { search: values.search } : {}) });
    if (values.json) {
      out(`${JSON.stringify({ total, users: users.map(toProfile) })}\n`);
      return;
    }
    for (const u of users) {
      out(`${u.username}\t${u.email ?? '-'}\t${u.roles.join(',') || '-'}\t${u.disabled ? 'disabled' : 'active'}\t${u.id}\n`);
    }
    process.stderr.write(`${users.length} of ${total} users\n`);
  } finally {
    await runtime.close();
  }
}

const MAX_LIMIT = 1_000_000;

/** Plain decimal digits only: Number() would also take "1e3", "0x10", " 5 " and "". */
function parseLimit(text: string): number {
  const limit = /^[1-9][0-9]{0,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit <= MAX_LIMIT)) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return limit;
}

async function setDisabled(args: readonly string[], disabled: boolean): Promise<void> {
  const verb = disabled ? 'disable' : 'enable';
  const { positionals } = parse(args, {}, { min: 1, max: 1, usage: `gatehouse user ${verb} USERNAME` });
  const runtime = await openCommandRuntime();
  try {
    const users = userService(runtime);
    const user = await users.getByUsername(positionals[0] as string);
    await users.update(user.id, { disabled });
    process.stderr.write(`${verb}d user ${user.username}\n`);
  } finally {
    await runtime.close();
  }
}

async function deleteUser(args: readonly string[]): Promise<void> {
  const { positionals } = parse(args, {}, { min: 1, max: 1, usage: 'gatehouse user delete USERNAME' });
  const runtime = await openCommandRuntime();
  try {
    const users = userService(runtime);
    const user = await users.getByUsername(positionals[0] as string);
    await users.delete(user.id);
    process.stderr.write(`deleted user ${user.username}\n`);
  } finally {
    await runtime.close();
  }
}

async function importUsers(args: readonly string[]): Promise<void> {
  const { positionals } = parse(args, {}, { min: 1, max: 1, usage: 'gatehouse user import FILE' });
  const file = positionals[0] as string;
  const records = await readImportFile(file);
  process.stderr.write(`read ${records.length} users from ${file}\n`);
  const runtime = await openCommandRuntime();
  try {
    const { created, skipped } = await userService(runtime).importUsers(records, importProgress(records.length));
    process.stderr.write(`imported ${created} users`);
    process.stderr.write(skipped.length > 0 ? `; skipped ${skipped.length} that exist already: ${nameSome(skipped)}\n` : '\n');
  } finally {
    await runtime.close();
  }
}

/**
 * A line at each tenth of an import of at least PROGRESS_FROM users. They are written in one
 * transaction, so the lines say how far the writing is, not that any user is in yet.
 */
function importProgress(total: number): ((done: number) => void) | undefined {
  if (total < PROGRESS_FROM) return undefined;
  let reported = 0;
  return (done) => {
    const tenths = Math.floor((done * 10) / total);
    if (tenths <= reported || tenths >= 10) return;
    reported = tenths;
    process.stderr.write(`writing users: ${tenths * 10}% (${done} of ${total})\n`);
  };
}

const PROGRESS_FROM = 1000;
const NAMED_AT_MOST = 20;

/** The first names of a long list, and how many more: one readable line however many there are. */
function nameSome(names: readonly string[]): string {
  const shown = names.slice(0, NAMED_AT_MOST).join(', ');
  return names.length > NAMED_AT_MOST ? `${shown} and ${names.length - NAMED_AT_MOST} more` : shown;
}

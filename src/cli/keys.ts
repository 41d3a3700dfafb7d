import { UsageError } from '../errors.js';
import { Keyring } from '../services/keys.js';
import type { LoadedKey } from '../tokens/signing-keys.js';
import { parse } from './args.js';
import { out } from './output.js';
import { openCommandRuntime } from './runtime.js';

const USAGE = 'gatehouse keys rotate [--json] | gatehouse keys list [--json]';

export async function keysCommand(args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== 'rotate' && sub !== 'list') throw new UsageError(`usage: ${USAGE}`);
  const { values } = parse(rest, { json: { type: 'boolean' } }, { min: 0, max: 0, usage: USAGE });
  const runtime = await openCommandRuntime();
  try {
    if (sub === 'rotate') {
      const keys = await Keyring.open(runtime.config, runtime.store, runtime.clock, runtime.log);
      const key = await keys.rotate();
      void runtime.audit.record('keys.rotated', { detail: { kid: key.kid, alg: key.alg } });
      out(values.json ? `${JSON.stringify(keyView(keys, key))}\n` : `${key.kid}\n`);
      process.stderr.write(
        `new ${key.alg} signing key ${key.kid} is published; it signs from ${new Date(key.createdAt).toISOString()} (in ${keys.activationDelayMs / 1000}s, once every running server has loaded it)\n`,
      );
      return;
    }
    // A list makes nothing: on a fresh store the first key is made by `serve`.
    const keys = await Keyring.load(runtime.config, runtime.store, runtime.clock, runtime.log);
    const list = keys.all().map((k) => keyView(keys, k));
    if (values.json) out(`${JSON.stringify({ keys: list })}\n`);
    else if (list.length === 0) process.stderr.write(`no ${runtime.config.jwtAlgorithm} signing key yet; \`gatehouse serve\` makes the first\n`);
    else for (const k of list) out(`${k.kid}\t${k.alg}\t${k.status}\t${k.created_at}${k.retired_at ? `\tretired ${k.retired_at}` : ''}\n`);
  } finally {
    await runtime.close();
  }
}

/** One key as `keys list --json` and `keys rotate --json` print it. */
function keyView(keys: Keyring, key: LoadedKey) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: keys.statusOf(key),
    created_at: new Date(key.createdAt).toISOString(),
    retired_at: key.retiredAt === null ? null : new Date(key.retiredAt).toISOString(),
  };
}

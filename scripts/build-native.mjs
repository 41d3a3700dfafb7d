// `npm run build:native` (also the package's install script): compiles native/, the argon2 addon
// that keeps each hash's memory for the next (native/argon2-pool.c) and the check of the server's
// own ES256 signatures (native/es256-own-key.c), with node-gyp as npm ships it. A failed build
// does not fail the install: Gatehouse then hashes with @node-rs/argon2, which ships prebuilt,
// and verifies with node:crypto; `serve` says which it uses. GATEHOUSE_REQUIRE_NATIVE=1 makes it fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
// npm sets npm_config_node_gyp for the scripts it runs; otherwise the copy beside this npm.
const nodeGyp =
  process.env.npm_config_node_gyp ?? path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');

const result = existsSync(nodeGyp)
  ? spawnSync(process.execPath, [nodeGyp, 'rebuild', '--release', '--loglevel=warn'], { cwd: path.join(root, 'native'), stdio: ['ignore', 'ignore', 'pipe'] })
  : { status: null, stderr: Buffer.from(`node-gyp not found at ${nodeGyp}`) };

if (result.status !== 0) {
  const detail = String(result.stderr ?? '').trim().split('\n').slice(-3).join('\n');
  const line = 'gatehouse: the addons in native/ did not build; password hashes will use @node-rs/argon2 and ES256 checks node:crypto verify (both slower under load)';
  if (process.env.GATEHOUSE_REQUIRE_NATIVE === '1') {
    console.error(`${line}\n${detail}`);
    process.exit(1);
  }
  console.warn(`${line}\n${detail}`);
}

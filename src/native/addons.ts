import { createRequire } from 'node:module';

/** One of the addons in native/, or why it is missing (not built, or it did not load). */
export type AddonLoad<T> = { readonly addon: T } | { readonly addon: undefined; readonly reason: string };

const loaded = new Map<string, AddonLoad<unknown>>();

/**
 * Loads `native/build/Release/<name>.node` once. The path is the same from src/native/,
 * dist/native/ and dist/bundle/, two folders below the package's root.
 */
export function loadAddon<T>(name: string): AddonLoad<T> {
  let load = loaded.get(name);
  if (!load) {
    try {
      load = { addon: createRequire(import.meta.url)(`../../native/build/Release/${name}.node`) as unknown };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      load = { addon: undefined, reason: code === 'MODULE_NOT_FOUND' ? 'not built' : ((error as Error).message.split('\n')[0] ?? 'did not load') };
    }
    loaded.set(name, load);
  }
  return load as AddonLoad<T>;
}

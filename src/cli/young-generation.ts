import { setFlagsFromString } from 'node:v8';

const SEMI_SPACE_FLAGS = /--(?:max|min)[-_]semi[-_]space[-_]size|--semi[-_]space[-_]growth[-_]factor/;

/**
 * Stops V8's young generation from growing any further in the server. V8 doubles it, up to
 * 16 MB per semi-space in Node 20, each time enough objects have survived since the last
 * growth — which in a long-running server is only a matter of time — and the pages stay
 * resident: 32 MB of RSS that only ever hold garbage. A request's objects die with the
 * request, so a small young generation just collects them more often (each scavenge copies
 * only what is alive).
 *
 * Called once the server listens: start-up grows it to 4 MB per semi-space (the bundled
 * modules and the app's objects, nearly all of which survive), and holding it at 1 MB from
 * the first line instead costs start-up a dozen scavenges that copy those survivors, about
 * 25 ms of a 450 ms start on a 2-core VM. The growth factor is the one young-generation
 * setting V8 still reads after start-up. A semi-space flag in NODE_OPTIONS or on the command
 * line wins.
 *
 * Call it after any worker thread has started: V8 applies its flag implications again for
 * each new isolate, one of which raises the growth factor back to at least 2.
 */
export function keepYoungGenerationSmall(): void {
  const given = `${process.execArgv.join(' ')} ${process.env['NODE_OPTIONS'] ?? ''}`;
  if (SEMI_SPACE_FLAGS.test(given)) return;
  // V8 refuses a code cache made under other flags than the start that reads it: the launcher's
  // cache (bin/code-cache.cjs), when it is still to be written, is written first.
  const pending = (globalThis as Record<symbol, { writeNow(): void } | undefined>)[Symbol.for('gatehouse.pendingCodeCache')];
  pending?.writeNow();
  setFlagsFromString('--semi-space-growth-factor=1');
}

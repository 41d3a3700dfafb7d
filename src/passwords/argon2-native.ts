import type { Argon2InstructionSet } from '../config.js';
import { loadAddon, type AddonLoad } from '../native/addons.js';

/**
 * The project's own argon2 addon (native/argon2-pool.c): the reference implementation on libuv's
 * thread pool, with each hash's 19 MiB of working memory kept for the next instead of mapped and
 * zeroed afresh. Built from source at install (`npm run build:native`); where that cannot happen
 * (no C compiler, `--ignore-scripts`) the argon2 scheme uses @node-rs/argon2 and says so at start.
 */
export interface NativeArgon2 {
  /** The raw hash; runs on the thread pool. type: 0 argon2d, 1 argon2i, 2 argon2id; version 16 or 19. */
  hashRaw(
    password: Buffer,
    salt: Buffer,
    timeCost: number,
    memoryCost: number,
    parallelism: number,
    type: 0 | 1 | 2,
    version: 16 | 19,
    hashLength: number,
  ): Promise<Buffer>;
  /**
   * At most `threads` pool threads hash at once; more hashes wait in the addon's queue, and a
   * thread that finishes one takes the next without going back to the event loop. 0 (the
   * default) runs each hash on a pool thread of its own as soon as it is queued. Returns `threads`.
   */
  setHashThreads(threads: number): number;
  /** Unmaps the working memory no hash is using; returns how many buffers it freed. */
  trim(): number;
  /** Buffers waiting for the next hash. */
  idleBuffers(): number;
  /** The instruction set hashes run with: avx512f, avx2, sse2, or portable (not x86). */
  instructionSet(): string;
  /** Picks the widest set this CPU has, up to `cap` (at load: up to avx512f); returns it. */
  useInstructionSet(cap: Argon2InstructionSet): string;
  /**
   * Switches `count` distinct pool threads to SCHED_BATCH (see src/passwords/thread-pool.ts);
   * resolves how many switched. Waits at most `timeoutMs` for `count` threads to be free.
   */
  batchPoolThreads(count: number, timeoutMs: number): Promise<number>;
}

/** The addon's limits on what it is handed (argon2-pool.c MAX_SALT, MAX_OUT). */
export const NATIVE_LIMITS = { saltBytes: 64, hashBytes: 64 } as const;

export type NativeArgon2Load = AddonLoad<NativeArgon2>;

/** Loads the addon once; the reason it is missing otherwise. */
export function loadNativeArgon2(): NativeArgon2Load {
  return loadAddon<NativeArgon2>('gatehouse_argon2');
}

/** Which engine hashes, for the start-up log and the benchmark: the addon and its instruction set, or the fallback and why. */
export function argon2EngineName(load: NativeArgon2Load = loadNativeArgon2()): string {
  return load.addon ? `native/ addon (${load.addon.instructionSet()})` : `@node-rs/argon2 (native/ addon ${load.reason}: npm run build:native)`;
}

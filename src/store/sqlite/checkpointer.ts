import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database as BetterSqlite3Database } from 'better-sqlite3';
import type { BackgroundUpkeep } from '../sql-store.js';

/** SQLite's own wal_autocheckpoint, put back when the background thread is gone. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

export interface CheckpointerOptions {
  /** Between passes (ms). Each pass copies what was committed since the last one. */
  readonly intervalMs?: number;
  /**
   * WAL pages past which a pass waits for the server's writes to pause and starts the WAL
   * over (a RESTART checkpoint): the bound on the WAL when passive passes never catch up.
   */
  readonly restartAbovePages?: number;
  /** Hears why the thread stopped after it had started, unasked; checkpoints are then back on the server's connection. */
  readonly onError?: (error: Error) => void;
  /** The better-sqlite3 module the thread loads: by default the one this process resolves. */
  readonly driver?: string;
}

/** WAL checkpoints on a thread of their own (see startCheckpointer). */
export interface Checkpointer extends BackgroundUpkeep {
  /** Resolves once checkpoints run on the thread; rejects (and nothing changed) when it could not start. */
  readonly started: Promise<void>;
  /** Stops the thread and puts checkpoints back on the server's connection. */
  stop(): Promise<void>;
}

/*
 * The thread's code. A string run with `eval` rather than a file of its own, so that it runs
 * alike from src/ (tests), dist/ and the bundle; it loads the same better-sqlite3 the server
 * does, by the path the server resolved.
 *
 * PASSIVE checkpoints take no lock that the server's connection waits on. The server's next
 * commit starts the WAL over from its beginning only when a pass has copied every frame; under
 * writes that never pause long enough for that, the RESTART past `restartAbovePages` does it.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('cache_size = -256');
db.pragma('busy_timeout = 1000');
const checkpoint = (mode) => db.pragma('wal_checkpoint(' + mode + ')')[0];
const pass = () => {
  const result = checkpoint('PASSIVE');
  if (result.log > workerData.restartAbovePages) checkpoint('RESTART');
};
const timer = setInterval(() => {
  try { pass(); } catch (error) { clearInterval(timer); db.close(); throw error; }
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
parentPort.postMessage('started');
`;

/**
 * Moves SQLite's WAL checkpoints off the event loop. SQLite checkpoints on the connection that
 * commits, once the WAL passes 1000 pages: it copies them into the database file and flushes
 * both files to disk, and with better-sqlite3 the event loop waits for all of it — 5 to 20 ms
 * with nothing answered, about a tenth of the server's time under a stream of refresh grants
 * (measured here: each grant writes ~7 pages). A worker thread with its own connection to the
 * file runs them instead; the server's connection only appends to the WAL.
 *
 * The server's connection stops checkpointing only once the thread has opened the file, and
 * starts again if the thread fails or is stopped, so the WAL never goes without checkpoints.
 */
export function startCheckpointer(sqlite: BetterSqlite3Database, file: string, options: CheckpointerOptions = {}): Checkpointer {
  const worker = new Worker(THREAD_SOURCE, {
    eval: true,
    workerData: {
      driver: options.driver ?? createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      intervalMs: options.intervalMs ?? 100,
      restartAbovePages: options.restartAbovePages ?? 4096,
    },
    // A thread that only runs SQLite needs little of V8's heap.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  worker.unref();
  let stopping = false;
  let running = false;
  const backOnConnection = (): void => {
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      backOnConnection();
      if (running && !stopping) options.onError?.(error);
      running = false;
      reject(error);
    };
    worker.once('message', () => {
      if (stopping || !sqlite.open) return;
      sqlite.pragma('wal_autocheckpoint = 0');
      running = true;
      resolve();
    });
    worker.once('error', failed);
    worker.once('exit', (code) => {
      if (!stopping) failed(new Error(`the checkpoint thread ended (exit code ${code})`));
      else resolve(); // stopped before it had started: nothing to report
    });
  });
  started.catch(() => undefined);
  return {
    started,
    async stop() {
      stopping = true;
      backOnConnection();
      worker.postMessage('stop');
      // A pass under way finishes first; a thread that does not end soon is ended.
      const timer = setTimeout(() => void worker.terminate(), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

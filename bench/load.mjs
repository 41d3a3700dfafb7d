// Parent side of the load generator: forks bench/loadgen.mjs once and sends it load specs.
// Why a child process: the machine has 2 cores and autocannon keeps one busy whatever process
// it runs in; in its own process its event loop and heap are not shared with the orchestrator
// (token pools, timers, bookkeeping), its core-time is measured on its own, and a hang in it
// cannot keep the servers from being stopped.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { track } from './processes.mjs';

export class LoadGenerator {
  constructor() {
    this.child = track(fork(fileURLToPath(new URL('./loadgen.mjs', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    this.pending = new Map();
    this.nextId = 1;
    this.child.on('message', ({ id, error, ...answer }) => {
      const waiter = this.pending.get(id);
      this.pending.delete(id);
      if (error) waiter?.reject(new Error(`load generator: ${error}`));
      else waiter?.resolve(answer);
    });
    this.child.once('exit', (code, signal) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`load generator exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /**
   * Runs the specs at once against the server `serverPid` (see loadgen.mjs); resolves
   * { results: [...], serverCpu, loadgenCpu, otherCpu }: cores busy over the load itself.
   */
  run(serverPid, ...specs) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, specs, serverPid });
    });
  }

  close() {
    if (this.child.connected) this.child.disconnect();
  }
}

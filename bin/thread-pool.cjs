'use strict';
// How many threads libuv's pool gets when UV_THREADPOOL_SIZE is not set (see gatehouse.cjs).
const { readFileSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const path = require('node:path');

/**
 * The cores this process may use: its CPU affinity (os.availableParallelism) and the CPU quota
 * of its cgroup, which a container's CPU limit or systemd's CPUQuota sets and which Node 20's
 * libuv does not read: cgroup v2 `cpu.max` of its cgroup and every parent (the lowest counts),
 * or v1 `cpu.cfs_quota_us` ÷ `cpu.cfs_period_us`; rounded down, at least 1.
 */
function usableCores({ cgroupRoot = '/sys/fs/cgroup', procCgroup = '/proc/self/cgroup', parallelism = availableParallelism() } = {}) {
  const quota = cpuQuota(cgroupRoot, procCgroup);
  return quota === undefined ? parallelism : Math.max(1, Math.min(parallelism, Math.floor(quota)));
}

function read(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Cores' worth of CPU time the cgroup allows, or undefined when it sets no limit. */
function cpuQuota(root, procCgroup) {
  // v2: "0::/system.slice/x.service"; in a container with its own cgroup namespace, "0::/".
  const own = /^0::(\/.*)$/m.exec(read(procCgroup) ?? '')?.[1];
  if (own !== undefined) {
    let lowest;
    for (let dir = own; ; dir = path.posix.dirname(dir)) {
      const max = read(path.join(root, dir, 'cpu.max')); // "max 100000" or "<quota> <period>", in µs
      const quota = max === undefined ? undefined : ratio(...max.split(/\s+/));
      if (quota !== undefined && (lowest === undefined || quota < lowest)) lowest = quota;
      if (dir === '/') break;
    }
    if (lowest !== undefined) return lowest;
  }
  return ratio(read(path.join(root, 'cpu', 'cpu.cfs_quota_us')), read(path.join(root, 'cpu', 'cpu.cfs_period_us'))); // quota -1: none
}

function ratio(quota, period) {
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? q / p : undefined;
}

/**
 * A thread for each usable core and two more: password hashes run one more at a time than
 * there are cores, and one thread stays free for the signature checks of new tokens.
 */
function defaultThreadPoolSize(options) {
  return Math.min(usableCores(options) + 2, 1024);
}

module.exports = { defaultThreadPoolSize, usableCores };

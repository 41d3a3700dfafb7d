'use strict';
// How many threads libuv's pool gets when UV_THREADPOOL_SIZE is not set (see gatehouse.cjs).
const { readFileSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const path = require('node:path');

/**
 * The cores this process may use: its CPU affinity (os.availableParallelism) and the CPU quota
 * of its cgroup, which a container's CPU limit or systemd's CPUQuota sets and which Node 20's
 * libuv does not read: cgroup v2 `cpu.max`, or v1 `cpu.cfs_quota_us` ÷ `cpu.cfs_period_us`, of
 * its cgroup and every parent (the lowest counts); rounded down, at least 1.
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

/**
 * Cores' worth of CPU time the cgroup allows, or undefined when it sets no limit. The process's
 * cgroup comes from /proc/self/cgroup: "0::/system.slice/x.service" in v2, "4:cpu,cpuacct:/…" in
 * v1; in a container with its own cgroup namespace, "/". Its limit and its parents' all apply.
 */
function cpuQuota(root, procCgroup) {
  const cgroups = read(procCgroup) ?? '';
  const v2 = /^0::(\/.*)$/m.exec(cgroups)?.[1];
  const v1 = /^\d+:(?:[^:]*,)?cpu(?:,[^:]*)?:(\/.*)$/m.exec(cgroups)?.[1];
  // v2 `cpu.max`: "max 100000" or "<quota> <period>", in µs; v1: a quota of -1 means none.
  return (
    lowestAlong(v2 ?? '/', (dir) => {
      const max = read(path.join(root, dir, 'cpu.max'));
      return max === undefined ? undefined : ratio(...max.split(/\s+/));
    }) ?? lowestAlong(v1 ?? '/', (dir) => ratio(read(path.join(root, 'cpu', dir, 'cpu.cfs_quota_us')), read(path.join(root, 'cpu', dir, 'cpu.cfs_period_us'))))
  );
}

/** The lowest quota of `dir` and its parents up to "/", or undefined when none sets one. */
function lowestAlong(dir, quotaOf) {
  let lowest;
  for (;;) {
    const quota = quotaOf(dir);
    if (quota !== undefined && (lowest === undefined || quota < lowest)) lowest = quota;
    if (dir === '/') return lowest;
    dir = path.posix.dirname(dir);
  }
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

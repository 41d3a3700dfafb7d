import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

interface Options {
  readonly cgroupRoot?: string;
  readonly procCgroup?: string;
  readonly parallelism?: number;
}
const { defaultThreadPoolSize, usableCores } = createRequire(import.meta.url)('../../bin/thread-pool.cjs') as {
  defaultThreadPoolSize(options?: Options): number;
  usableCores(options?: Options): number;
};

const roots = mkdtempSync(path.join(tmpdir(), 'gatehouse-cgroup-'));
after(() => rmSync(roots, { recursive: true, force: true }));

/** A fake /sys/fs/cgroup holding the given files. */
function cgroup(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(roots, 'root-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), `${text}\n`);
  }
  return root;
}

/** A fake /proc/self/cgroup: the process in `v2Path` (cgroup v2) and `v1Path` (v1's cpu controller), "/" (a container with its own namespace) by default. */
function procCgroup(v2Path = '/', v1Path = '/'): string {
  const file = path.join(mkdtempSync(path.join(roots, 'proc-')), 'cgroup');
  writeFileSync(file, `5:cpuset:/elsewhere\n4:cpu,cpuacct:${v1Path}\n3:cpuacct:/elsewhere\n2:memory:/elsewhere\n0::${v2Path}\n`);
  return file;
}
const inContainer = procCgroup();

describe('the default size of libuv thread pool (bin/thread-pool.cjs)', () => {
  it('is a thread for each core and two more where the cgroup sets no CPU limit', () => {
    assert.equal(defaultThreadPoolSize({ procCgroup: inContainer, cgroupRoot: cgroup({}), parallelism: 8 }), 10);
    assert.equal(defaultThreadPoolSize({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': 'max 100000' }), parallelism: 8 }), 10);
    assert.equal(defaultThreadPoolSize({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' }), parallelism: 8 }), 10);
  });

  it("counts a container's CPU limit, which os.availableParallelism does not see (cgroup v2 and v1)", () => {
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': '200000 100000' }), parallelism: 64 }), 2);
    assert.equal(defaultThreadPoolSize({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': '200000 100000' }), parallelism: 64 }), 4);
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu/cpu.cfs_quota_us': '300000', 'cpu/cpu.cfs_period_us': '100000' }), parallelism: 64 }), 3);
  });

  it('rounds a fractional limit down, to one core at least, and never goes above the affinity', () => {
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': '150000 100000' }), parallelism: 8 }), 1);
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': '50000 100000' }), parallelism: 8 }), 1);
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': '800000 100000' }), parallelism: 2 }), 2);
  });

  it("reads the CPU limit of a cgroup v2 path and of every parent, and keeps the lowest (systemd's CPUQuota)", () => {
    const service = procCgroup('/system.slice/gatehouse.service');
    const quota = { 'system.slice/gatehouse.service/cpu.max': '200000 100000', 'system.slice/cpu.max': 'max 100000' };
    assert.equal(usableCores({ procCgroup: service, cgroupRoot: cgroup(quota), parallelism: 16 }), 2);
    const parentLower = { 'system.slice/gatehouse.service/cpu.max': '300000 100000', 'system.slice/cpu.max': '100000 100000' };
    assert.equal(usableCores({ procCgroup: service, cgroupRoot: cgroup(parentLower), parallelism: 16 }), 1);
    assert.equal(usableCores({ procCgroup: service, cgroupRoot: cgroup({}), parallelism: 16 }), 16);
  });

  it("reads cgroup v1's cpu controller along the process's path in it too", () => {
    const service = procCgroup('/', '/system.slice/gatehouse.service');
    const quota = { 'cpu/system.slice/gatehouse.service/cpu.cfs_quota_us': '200000', 'cpu/system.slice/gatehouse.service/cpu.cfs_period_us': '100000', 'cpu/cpu.cfs_quota_us': '-1', 'cpu/cpu.cfs_period_us': '100000' };
    assert.equal(usableCores({ procCgroup: service, cgroupRoot: cgroup(quota), parallelism: 16 }), 2);
  });

  it('ignores what it cannot read as a limit', () => {
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu.max': 'garbage' }), parallelism: 4 }), 4);
    assert.equal(usableCores({ procCgroup: inContainer, cgroupRoot: cgroup({ 'cpu/cpu.cfs_quota_us': '200000' }), parallelism: 4 }), 4);
  });
});

// Types of thread-pool.cjs for the TypeScript sources that count cores the same way.
export interface CoreOptions {
  /** Where the cgroup file system is mounted (tests point it at a fake one). */
  readonly cgroupRoot?: string;
  /** The file naming the process's cgroup. */
  readonly procCgroup?: string;
  /** The CPU affinity's count (os.availableParallelism). */
  readonly parallelism?: number;
}
export function usableCores(options?: CoreOptions): number;
export function defaultThreadPoolSize(options?: CoreOptions): number;

/**
 * A command's results on stdout. A reader that goes away (`gatehouse user list | head -1`)
 * ends the output, not the command: what is left is not written, the command finishes
 * (closing the store, flushing its audit events) and exits 0. That is what ripgrep and
 * other CLIs that handle EPIPE themselves do; a shell's 141 (death by SIGPIPE) would fail a
 * `set -o pipefail` script for a reader that stopped on purpose. Any other write error
 * (a full disk, a closed stdout) is a failure: one line, exit 1.
 */
let gone = false;
let watching = false;

export function out(text: string): void {
  if (!watching) {
    watching = true;
    process.stdout.on('error', onError);
  }
  if (!gone) process.stdout.write(text);
}

function onError(error: NodeJS.ErrnoException): void {
  if (gone) return;
  gone = true;
  if (error.code === 'EPIPE') return;
  process.stderr.write(`gatehouse: cannot write output: ${error.code ?? error.message}\n`);
  process.exitCode = 1;
}

import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../errors.js';

/** Past this many bytes without a newline, reading stops: the password policy refuses it as too long anyway. */
const MAX_LINE_BYTES = 64 * 1024;

/**
 * `--password-stdin`: the first line of standard input; its newline (and a CR before it) is
 * not part of the password. It resolves as soon as that line has arrived, without waiting
 * for the end of the input, which a writer that keeps its pipe open never sends. Then it
 * closes standard input: pause() alone leaves a pipe's handle reading, which keeps the
 * process alive; the rest of the input is not wanted (as `head` does, the writer gets EPIPE).
 */
export function readPasswordFromStdin(input: NodeJS.ReadStream = process.stdin): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const stop = (): void => {
      input.off('data', onData);
      input.off('end', onEnd);
      input.off('error', onError);
      input.destroy();
    };
    const finish = (): void => {
      stop();
      // A newline byte never occurs inside a multi-byte UTF-8 sequence: the bytes can be cut there.
      const line = Buffer.concat(chunks).toString('utf8');
      resolve(line.endsWith('\r') ? line.slice(0, -1) : line);
    };
    const onData = (chunk: Buffer): void => {
      const end = chunk.indexOf(0x0a);
      chunks.push(end === -1 ? chunk : chunk.subarray(0, end));
      length += chunk.length;
      if (end !== -1 || length > MAX_LINE_BYTES) finish();
    };
    const onEnd = finish;
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    input.on('data', onData);
    input.once('end', onEnd);
    input.once('error', onError);
  });
}

/** Asks twice on the terminal without echo. */
export async function promptPassword(): Promise<string> {
  if (!process.stdin.isTTY) throw new UsageError('no terminal to prompt for a password; pass it with --password-stdin');
  // One interface for both questions, created before the first prompt is shown: the terminal
  // is in raw mode (no echo) before anything can be typed.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  const ask = (question: string): Promise<string> =>
    new Promise((resolve) => {
      process.stderr.write(question);
      rl.question('', (answer) => {
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  try {
    const first = await ask('Password: ');
    const second = await ask('Repeat password: ');
    if (first !== second) throw new UsageError('the passwords do not match');
    return first;
  } finally {
    rl.close();
  }
}

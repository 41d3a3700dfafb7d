import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../errors.js';

/** `--password-stdin`: the first line of standard input; its newline is not part of the password. */
export async function readPasswordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const end = text.indexOf('\n');
  const line = end === -1 ? text : text.slice(0, end);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
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

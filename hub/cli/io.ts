/** Where the CLI reads and writes: the real process by default, captured buffers in tests. */
import { homedir } from 'node:os';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The whole of standard input (for `apply -f -`). */
  readStdin(): Promise<string>;
  /** The whole of standard input as bytes (for `image push -`); absent: readStdin's text. */
  readStdinBytes?(): Promise<Buffer>;
  homedir: string;
  /** Resolves when the user asks to stop (Ctrl-C / SIGTERM); used by long-running commands. */
  onInterrupt(handler: (signal: NodeJS.Signals) => void): () => void;
}

export function processIO(): CliIO {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    async readStdinBytes() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    homedir: homedir(),
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
}

/** An IO whose output is collected in strings: for tests. */
export function captureIO(opts: { env?: NodeJS.ProcessEnv; stdin?: string; homedir?: string } = {}): CliIO & { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  return {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    env: opts.env ?? {},
    readStdin: async () => opts.stdin ?? '',
    homedir: opts.homedir ?? '/nonexistent',
    onInterrupt: () => () => undefined,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

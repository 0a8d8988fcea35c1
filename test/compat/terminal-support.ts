/**
 * kubectl driven as a person drives it: on a pseudo-terminal (util-linux `script`, through the agent's own
 * startStreamingProcess), keys typed, the screen read back, the window resized with `stty -F` on kubectl's
 * terminal (SIGWINCH, as a terminal emulator's resize); or on plain pipes for kubectl without -t.
 */
import { startStreamingProcess } from '../../runtime-adapters/streaming-process.js';
import { waitFor } from '../e2e/support.js';
import { kubectlBinary, type CompatHub } from './support.js';

export interface Terminal {
  /** What the terminal showed so far (kubectl's stderr is apart: `errors`). */
  screen(): string;
  errors(): string;
  type(text: string): void;
  /** End the input (a pipe's end, for kubectl without -t). */
  endInput(): void;
  /** Resize kubectl's terminal (its window), as a terminal emulator does. */
  resize(width: number, height: number): Promise<void>;
  /** Wait until the screen, from `from` on, matches. */
  see(pattern: RegExp, from?: number): Promise<void>;
  exited: Promise<number>;
  kill(): void;
}

/** kubectl (`bin`, default kubectlBinary()) on a pseudo-terminal of 80x24 (`tty`), or on pipes. */
export function kubectlOn(h: CompatHub, args: string[], tty: boolean, bin = kubectlBinary()): Terminal {
  const p = startStreamingProcess(bin, ['--kubeconfig', h.kubeconfig, `--cache-dir=${h.dir}/kube-cache`, ...args], {
    stdin: true,
    ...(tty ? { tty: { width: 80, height: 24 } } : {}),
  });
  let size = { width: 80, height: 24 };
  let screen = '';
  let errors = '';
  p.stdout.on('data', (d: Buffer) => (screen += d.toString()));
  p.stderr?.on('data', (d: Buffer) => (errors += d.toString()));
  return {
    screen: () => screen,
    errors: () => errors,
    type: (text) => p.stdin!.write(text),
    endInput: () => p.stdin!.end(),
    // stty sets the columns and the rows in two ioctls, two SIGWINCHes; kubectl keeps only one size waiting to be
    // sent and drops a newer one meanwhile (its TerminalSizeQueue): one dimension at a time, as a window drags
    resize: async (w, hgt) => {
      await p.resize!(w, size.height);
      await new Promise((r) => setTimeout(r, 300));
      await p.resize!(w, hgt);
      size = { width: w, height: hgt };
    },
    see: (pattern, from = 0) =>
      waitFor(`${pattern} on kubectl's terminal`, async () => pattern.test(screen.slice(from)), 60_000, 100).then(
        () => undefined,
        (err: Error) => {
          throw new Error(`${err.message}\nscreen: ${JSON.stringify(screen)}\nstderr: ${errors}`);
        },
      ),
    exited: p.exited,
    kill: () => p.kill(),
  };
}

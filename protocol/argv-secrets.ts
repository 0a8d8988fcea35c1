/**
 * Secrets given on a command line (`--token T`), which every local user can read in /proc/PID/cmdline and
 * `ps -eo args` for as long as the process lives. The way to avoid them is `--token-file` or an environment
 * variable (a process's environment is readable by its own user and root only); for a secret typed on the
 * command line anyway, `hideSecretArgs` rewrites the process title (on Linux Node writes it over argv, so
 * /proc/PID/cmdline shows `--token ***` from then on, as MySQL's client does with its password) and returns
 * the value, so a launcher passes it on through a pipe and never in its child's argv.
 */

/** The flags whose value is a secret: `--flag VALUE` and `--flag=VALUE`. */
export const SECRET_FLAGS: readonly string[] = ['--token'];

export const HIDDEN = '***';

/** argv with the value of every secret flag replaced by `***`. Pure. */
export function maskSecretArgs(argv: readonly string[], flags: readonly string[] = SECRET_FLAGS): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = flags.find((f) => a.startsWith(`${f}=`));
    if (eq) out.push(`${eq}=${HIDDEN}`);
    else if (flags.includes(a) && i + 1 < argv.length) {
      out.push(a, HIDDEN);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Splits a secret flag out of argv: the other arguments, and the flag's (last) value if it was there. Pure. */
export function takeSecretArg(argv: readonly string[], flag: string): { rest: string[]; value: string | undefined } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith(`${flag}=`)) value = a.slice(flag.length + 1);
    else if (a === flag && i + 1 < argv.length) value = argv[++i];
    else rest.push(a);
  }
  return { rest, value };
}

/**
 * When this process's argv holds a secret flag's value, rewrite the process title with it masked. Returns
 * whether anything was hidden (the caller warns that the secret was visible until then).
 */
export function hideSecretArgs(argv: readonly string[] = process.argv): boolean {
  const masked = maskSecretArgs(argv);
  if (masked.every((a, i) => a === argv[i])) return false;
  process.title = masked.join(' ');
  return true;
}

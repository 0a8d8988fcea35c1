/**
 * Command lines for logs: environment values (which may come from Secrets) are replaced by
 * "[redacted]", in both the `--env K=V` and `--env=K=V` forms.
 */
export function redactEnvArgs(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if ((a === '--env' || a === '-e') && i + 1 < args.length) {
      out.push(a, redactPair(args[++i]!));
    } else if (a.startsWith('--env=')) {
      out.push(`--env=${redactPair(a.slice('--env='.length))}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

function redactPair(pair: string): string {
  const eq = pair.indexOf('=');
  return eq < 0 ? pair : `${pair.slice(0, eq)}=[redacted]`;
}

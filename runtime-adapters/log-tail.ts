/** `logs(id, { tailLines })` over a container's whole output, for adapters that keep it as text. */
export function tailLogLines(text: string, tailLines: number | undefined): string {
  if (tailLines === undefined) return text;
  if (tailLines <= 0) return '';
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-tailLines).map((l) => `${l}\n`).join('');
}

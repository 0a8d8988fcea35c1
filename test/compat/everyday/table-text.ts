/** Reading kubectl's printed tables: the header's columns and each row's cells (split on runs of 2+ spaces). */

export const headerOf = (out: string): string[] => (out.split('\n')[0] ?? '').trim().split(/\s{2,}/);

/** The data rows (header left out), each as its cells. */
export const rowsOf = (out: string): string[][] =>
  out
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.trim().split(/\s{2,}/));

/** The row whose first cell is `name`, as a record of header -> cell. */
export function rowNamed(out: string, name: string): Record<string, string> | undefined {
  const header = headerOf(out);
  const row = rowsOf(out).find((cells) => cells[0] === name);
  return row ? Object.fromEntries(header.map((h, i) => [h, row[i] ?? ''])) : undefined;
}

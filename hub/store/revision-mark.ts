/**
 * The acknowledged-revision high-water mark: a small file beside the database (`state.db.revision`) holding
 * the highest revision any write was acknowledged at, rewritten in place and fdatasync'd after each commit,
 * before its writes resolve. It outlives what the database may lose: after a WAL loss, a database file copied
 * back from a backup, or a disk that dropped writes, the store opens at a revision below the mark, and says
 * so (sqlite-store.ts), instead of starting as if nothing happened (and handing out revisions, and with
 * them desired-set generations, that agents have seen already). Synchronous, as the commit path is.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { writeFileDurable } from '../../protocol/durable-file.js';

const WIDTH = 20;

export interface RevisionMark {
  /** The mark when the store opened (0 when there was no file). */
  readonly atOpen: number;
  /** Raise the mark to `revision` (ignored if not higher), durably. */
  advance(revision: number): void;
  close(): void;
}

const format = (revision: number): string => `${String(revision).padStart(WIDTH, '0')}\n`;

export async function openRevisionMark(path: string, initial: number): Promise<RevisionMark> {
  let atOpen = 0;
  let text: string | undefined;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    const n = Number(text.trim());
    // a damaged mark is no evidence of anything: start a new one from the database's revision
    atOpen = Number.isSafeInteger(n) && n >= 0 ? n : 0;
  }
  let mark = Math.max(atOpen, initial);
  if (text === undefined || mark !== atOpen) await writeFileDurable(path, format(mark), { mode: 0o600 });
  const fd = openSync(path, 'r+');
  const buf = Buffer.alloc(WIDTH + 1);
  return {
    atOpen,
    advance(revision) {
      if (revision <= mark) return;
      mark = revision;
      buf.write(format(revision), 0, 'latin1');
      writeSync(fd, buf, 0, buf.length, 0);
      fdatasyncSync(fd);
    },
    close: () => closeSync(fd),
  };
}

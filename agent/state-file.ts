/**
 * Reading the agent's state files (credentials.json, ca.crt, desired.json, containers.json): a file that
 * does not exist is undefined; one that cannot be read, or is not JSON, is the caller's typed error
 * (`corrupt`), which says which file and why. Writing them is protocol/durable-file.ts. Shared by the link
 * and the pods loop.
 *
 * A sealed state file (desired.json) also says whether it is whole: a first line with the SHA-256 and the
 * length of the rest (`drover-state v1 sha256:<hex> bytes:<n>`), then the content. The durable writer makes a
 * torn write impossible; the seal catches what happens to the file afterwards (a bad sector, a bit flip, an
 * editor, a restore of half a backup), including damage that still parses as JSON.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The caller's error for an unusable state file. */
export type CorruptStateFile = (reason: string, cause: unknown) => Error;

export async function readStateFile(path: string, corrupt: CorruptStateFile): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corrupt((err as Error).message, err);
  }
}

/** The file's JSON value (undefined when there is no file). */
export async function readStateJson(path: string, corrupt: CorruptStateFile): Promise<unknown> {
  const text = await readStateFile(path, corrupt);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw corrupt('not JSON', err);
  }
}

const SEAL_PREFIX = 'drover-state v1 ';
const SEAL_LINE = /^drover-state v1 sha256:([0-9a-f]{64}) bytes:(\d+)$/;

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The content with its seal line in front: what a sealed state file holds. */
export function sealStateFile(content: string): string {
  const body = Buffer.from(content, 'utf8');
  return `${SEAL_PREFIX}sha256:${sha256(body)} bytes:${body.length}\n${content}`;
}

/** What a sealed state file held: its content, and whether it carried a seal (files written before seals existed do not). */
export interface SealedContent {
  content: string;
  sealed: boolean;
}

/**
 * A sealed state file's content, checked against its seal (undefined when there is no file). A file without a
 * seal line is returned as it is with `sealed: false` (written by an older agent); a seal that does not match
 * the content is the caller's `corrupt` error.
 */
export async function readSealedStateFile(path: string, corrupt: CorruptStateFile): Promise<SealedContent | undefined> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw corrupt((err as Error).message, err);
  }
  if (!raw.subarray(0, SEAL_PREFIX.length).equals(Buffer.from(SEAL_PREFIX))) return { content: raw.toString('utf8'), sealed: false };
  const newline = raw.indexOf(0x0a);
  const line = newline < 0 ? undefined : SEAL_LINE.exec(raw.subarray(0, newline).toString('latin1'));
  if (!line) throw corrupt('its seal line (checksum) is damaged', undefined);
  const body = raw.subarray(newline + 1);
  const [, expected, bytes] = line;
  if (body.length !== Number(bytes)) {
    throw corrupt(`it was cut or extended: the seal says ${bytes} bytes, the file holds ${body.length}`, undefined);
  }
  const actual = sha256(body);
  if (actual !== expected) throw corrupt(`its content does not match its checksum (sha256 ${actual.slice(0, 12)}…, sealed as ${expected!.slice(0, 12)}…)`, undefined);
  return { content: body.toString('utf8'), sealed: true };
}

/**
 * Reading the agent's state files (credentials.json, ca.crt, desired.json, containers.json): a file that
 * does not exist is undefined; one that cannot be read, or is not JSON, is the caller's typed error
 * (`corrupt`), which says which file and why. Writing them is protocol/durable-file.ts. Shared by the link
 * and the pods loop.
 */
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

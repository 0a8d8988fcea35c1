/**
 * The data of `drover create configmap|secret`: --from-literal key=value and --from-file [key=]path
 * (a directory adds each regular file in it, keyed by file name), as kubectl reads them. Pure apart
 * from reading the files.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from './errors.js';

const KEY = /^[-._a-zA-Z0-9]+$/;

/** Every entry as raw bytes, in the order given. Throws UsageError for a bad or duplicate key. */
export async function readConfigSources(literals: string[], files: string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const add = (key: string, value: Buffer, from: string): void => {
    if (!KEY.test(key)) throw new UsageError(`"${key}" (from ${from}) is not a valid key: use letters, digits, "-", "_" and "."`);
    if (out.has(key)) throw new UsageError(`cannot add key "${key}" twice (from ${from})`);
    out.set(key, value);
  };
  for (const literal of literals) {
    const eq = literal.indexOf('=');
    if (eq <= 0) throw new UsageError(`--from-literal "${literal}" must be key=value`);
    add(literal.slice(0, eq), Buffer.from(literal.slice(eq + 1), 'utf8'), `--from-literal ${literal.slice(0, eq)}`);
  }
  for (const spec of files) {
    const eq = spec.indexOf('=');
    const [key, path] = eq > 0 ? [spec.slice(0, eq), spec.slice(eq + 1)] : [undefined, spec];
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--from-file ${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`, { cause: err });
    });
    if (info.isDirectory()) {
      if (key !== undefined) throw new UsageError(`--from-file ${spec}: a key cannot be given for a directory`);
      for (const entry of (await readdir(path, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.isFile() && KEY.test(entry.name)) add(entry.name, await readFile(join(path, entry.name)), `--from-file ${join(path, entry.name)}`);
      }
    } else {
      add(key ?? basename(path), await readFile(path), `--from-file ${path}`);
    }
  }
  return out;
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false; // not UTF-8: the caller stores it as binary
  }
}

/** A ConfigMap: UTF-8 values in data, anything else base64 in binaryData (as kubectl does). */
export function configMapFrom(name: string, namespace: string, entries: Map<string, Buffer>): Record<string, unknown> {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (isUtf8(v)) data[k] = v.toString('utf8');
    else binaryData[k] = v.toString('base64');
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace },
    ...(Object.keys(data).length ? { data } : {}),
    ...(Object.keys(binaryData).length ? { binaryData } : {}),
  };
}

/** A Secret: every value base64 in data. */
export function secretFrom(name: string, namespace: string, type: string, entries: Map<string, Buffer>): Record<string, unknown> {
  const data = Object.fromEntries([...entries].map(([k, v]) => [k, v.toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type, ...(entries.size ? { data } : {}) };
}

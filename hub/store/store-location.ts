import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import { createEtcdStore } from './etcd-store.js';
import { createSqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/**
 * Where the hub keeps its state (`drover hub --store URL`): `sqlite` (the default: `<data dir>/state.db`), or
 * `etcd://HOST:PORT[,HOST:PORT...][/PREFIX]` (plain) / `etcds://...` (TLS, with --etcd-ca and optionally a client
 * certificate --etcd-cert / --etcd-key), as K3s' `--datastore-endpoint`.
 */
export type StoreLocation =
  | { kind: 'sqlite' }
  | { kind: 'etcd'; endpoints: string[]; prefix: string; tls?: { caFile: string; certFile?: string; keyFile?: string } };

const HOST_PORT = /^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/;

export function parseStoreLocation(url: string | undefined, tls: { caFile?: string; certFile?: string; keyFile?: string } = {}): StoreLocation {
  const field = '--store';
  if (url === undefined || url === '' || url === 'sqlite' || url === 'sqlite://') {
    if (tls.caFile || tls.certFile || tls.keyFile) throw new ValidationError('hub', '--etcd-ca', 'is only for an etcd:// or etcds:// --store');
    return { kind: 'sqlite' };
  }
  const m = /^(etcds?):\/\/([^/]+)(\/.*)?$/.exec(url);
  if (!m) throw new ValidationError('hub', field, `must be sqlite, etcd://HOST:PORT[,HOST:PORT...][/PREFIX] or etcds://..., not "${url}"`);
  const hosts = m[2]!.split(',');
  for (const h of hosts) if (!HOST_PORT.test(h)) throw new ValidationError('hub', field, `"${h}" is not HOST:PORT`);
  const secure = m[1] === 'etcds';
  if (secure && !tls.caFile) throw new ValidationError('hub', '--etcd-ca', 'is required with etcds:// (the CA that signed the etcd members\' certificates)');
  if (!secure && (tls.caFile || tls.certFile || tls.keyFile)) throw new ValidationError('hub', field, 'use etcds:// with --etcd-ca, --etcd-cert and --etcd-key');
  if (Boolean(tls.certFile) !== Boolean(tls.keyFile)) throw new ValidationError('hub', '--etcd-cert', 'and --etcd-key go together');
  const prefix = m[3] && m[3] !== '/' ? `${m[3].replace(/\/+$/, '')}/` : '/drover/';
  return {
    kind: 'etcd',
    endpoints: hosts.map((h) => `${secure ? 'https' : 'http'}://${h}`),
    prefix,
    ...(secure ? { tls: { caFile: tls.caFile!, ...(tls.certFile ? { certFile: tls.certFile, keyFile: tls.keyFile! } : {}) } } : {}),
  };
}

export async function openStoreAt(location: StoreLocation, opts: { dataDir: string; logger: Logger; clock: () => number }): Promise<Store> {
  if (location.kind === 'sqlite') return createSqliteStore({ path: join(opts.dataDir, 'state.db'), logger: opts.logger, clock: opts.clock });
  const tls = location.tls
    ? {
        ca: await readFile(location.tls.caFile),
        ...(location.tls.certFile ? { cert: await readFile(location.tls.certFile), key: await readFile(location.tls.keyFile!) } : {}),
      }
    : undefined;
  return createEtcdStore({ endpoints: location.endpoints, prefix: location.prefix, logger: opts.logger, clock: opts.clock, ...(tls ? { tls } : {}) });
}

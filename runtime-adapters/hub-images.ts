/**
 * Pulling an image from the Drover hub's registry (hub/api/registry-v2.ts) instead of the registry the
 * image names: what both adapters share. The hub serves images under the names users push them with,
 * so "my-app:1.0" is "HUB:PORT/my-app:1.0" there; the adapter pulls that, then tags it with the name
 * the pod wrote, so the container runs by it. Credentials never go on a command line: containerd reads
 * them from a hosts.toml (an Authorization header), Docker from a config.json, both 0600 in `configDir`.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurable } from '../protocol/durable-file.js';

export interface HubImageSource {
  /** The hub's HTTPS listener, "host:port". */
  host: string;
  username: string;
  password: string;
  /** The hub CA (PEM) file. */
  caFile: string;
  /** A directory the adapter may keep its registry configuration in (created 0700). */
  configDir: string;
}

/** "my-app:1.0" -> "hub.local:7070/my-app:1.0"; no tag is ":latest", as runtimes read it. */
export function hubImageRef(host: string, image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tagged = image.includes('@') || last.includes(':') ? image : `${image}:latest`;
  return `${host}/${tagged}`;
}

export const basicAuth = (s: Pick<HubImageSource, 'username' | 'password'>): string =>
  Buffer.from(`${s.username}:${s.password}`).toString('base64');

/** containerd's hosts directory for the hub: HOSTS/<host:port>/hosts.toml with the CA and the credential header. */
export async function writeContainerdHosts(source: HubImageSource): Promise<string> {
  const dir = join(source.configDir, 'containerd-hosts');
  const toml = [
    `server = "https://${source.host}"`,
    '',
    `[host."https://${source.host}"]`,
    '  capabilities = ["pull", "resolve"]',
    `  ca = ${JSON.stringify(source.caFile)}`,
    `  [host."https://${source.host}".header]`,
    `    Authorization = ${JSON.stringify(`Basic ${basicAuth(source)}`)}`,
    '',
  ].join('\n');
  await mkdir(join(dir, source.host), { recursive: true, mode: 0o700 });
  await writeFileDurable(join(dir, source.host, 'hosts.toml'), toml, { mode: 0o600 });
  return dir;
}

/** A Docker client config dir whose config.json holds the hub's credential. */
export async function writeDockerConfig(source: HubImageSource): Promise<string> {
  const dir = join(source.configDir, 'docker-config');
  await writeFileDurable(join(dir, 'config.json'), JSON.stringify({ auths: { [source.host]: { auth: basicAuth(source) } } }), { mode: 0o600, dirMode: 0o700 });
  return dir;
}

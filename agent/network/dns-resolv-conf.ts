/**
 * The node's own resolvers, where cluster DNS sends every name that is not the cluster's: the
 * `nameserver` lines of the node's /etc/resolv.conf (read in the agent's network namespace, so a
 * systemd-resolved stub on 127.0.0.53 is reachable from there even though pods could not reach it).
 */
import { readFile } from 'node:fs/promises';

export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { nameservers: [], search: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...values] = line.split(/\s+/);
    if (keyword === 'nameserver' && values[0]) conf.nameservers.push(values[0]);
    else if (keyword === 'search' || keyword === 'domain') conf.search = values;
    else if (keyword === 'options') conf.options.push(...values);
  }
  return conf;
}

/**
 * The nameservers of a resolv.conf (default /etc/resolv.conf), less `exclude` (cluster DNS's own
 * address, so that it never forwards to itself). None listed: glibc's default, 127.0.0.1.
 */
export async function readNodeResolvers(path = '/etc/resolv.conf', exclude: readonly string[] = []): Promise<string[]> {
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const servers = parseResolvConf(text).nameservers;
  return (servers.length > 0 ? servers : ['127.0.0.1']).filter((s) => !exclude.includes(s));
}

/** What `drover flash` writes into an image: a list of files (content, mode, owner root) and symlinks. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfLabelRefusal } from '../../../protocol/node-self-labels.js';
import { UsageError } from '../errors.js';

export interface ImageFile {
  path: string;
  /** content, or a host file to copy */
  content?: string;
  source?: string;
  mode: number;
}
export interface ImageLink { path: string; target: string }
export interface FlashPlan { root: ImageFile[]; links: ImageLink[]; boot: { path: string; content: string }[] }

export interface FlashSettings {
  hub: string;
  token: string;
  hostname: string;
  labels: Record<string, string>;
  bundle: string;
  /** host:port of the hub's HTTPS listener, when the device reaches it elsewhere than the hub host's port 7070 */
  imageHub?: string;
  wifi?: { ssid: string; psk: string };
  sshKey?: string;
}

/** install/ of the checkout, from the source tree (hub/cli/flash) or from dist/hub/cli/flash. */
export function installDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const inDist = join(here, '..', '..', '..', '..', 'install');
  return existsSync(join(inDist, 'drover-firstboot.sh')) ? inDist : join(here, '..', '..', '..', 'install');
}

export function parseLabels(spec: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of (spec ?? '').split(',').filter(Boolean)) {
    const m = /^([A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?)=([-A-Za-z0-9_.]{0,63})$/.exec(kv);
    if (!m) throw new UsageError(`--labels: "${kv}" is not key=value (a Kubernetes label)`);
    // the agent asks for these when it joins: a label the hub would refuse is refused here, before the image is written
    const refusal = selfLabelRefusal(m[1] as string);
    if (refusal) throw new UsageError(`--labels: ${refusal}`);
    out[m[1] as string] = m[3] as string;
  }
  return out;
}

const HOSTNAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function nmConnection(ssid: string, psk: string): string {
  return ['[connection]', 'id=drover-wifi', 'type=wifi', 'autoconnect=true', '', '[wifi]', 'mode=infrastructure', `ssid=${ssid}`, '',
    '[wifi-security]', 'key-mgmt=wpa-psk', `psk=${psk}`, '', '[ipv4]', 'method=auto', '', '[ipv6]', 'method=auto', ''].join('\n');
}

export async function buildPlan(s: FlashSettings): Promise<FlashPlan> {
  if (!HOSTNAME.test(s.hostname)) throw new UsageError(`--hostname "${s.hostname}" is not a DNS label (lowercase letters, digits, "-", at most 63)`);
  if (!/^mqtts?:\/\/[^\s]+$/.test(s.hub)) throw new UsageError(`--hub "${s.hub}" must be an MQTT address such as mqtts://hub.local:8883`);
  if (!s.token.trim() || /\s/.test(s.token.trim())) throw new UsageError('--token is empty or holds spaces');
  const inst = installDir();
  const labels = Object.entries(s.labels).map(([k, v]) => `${k}=${v}`).join(',');
  if (s.imageHub !== undefined && !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/.test(s.imageHub)) {
    throw new UsageError(`--image-hub "${s.imageHub}" must be host:port, e.g. hub.local:7070`);
  }
  const imageHubLine = s.imageHub !== undefined ? `DROVER_IMAGE_HUB='${s.imageHub}'\n` : '';
  const root: ImageFile[] = [
    { path: '/opt/drover/firstboot/drover-agent.tar.gz', source: s.bundle, mode: 0o644 },
    { path: '/etc/drover/firstboot/join-token', content: `${s.token.trim()}\n`, mode: 0o600 },
    { path: '/etc/drover/firstboot/firstboot.env', content: `DROVER_HUB='${s.hub}'\nDROVER_NAME='${s.hostname}'\nDROVER_LABELS='${labels}'\n${imageHubLine}`, mode: 0o600 },
    { path: '/etc/drover/labels', content: Object.entries(s.labels).map(([k, v]) => `${k}=${v}\n`).join(''), mode: 0o644 },
    { path: '/etc/hostname', content: `${s.hostname}\n`, mode: 0o644 },
    { path: '/etc/hosts', content: `127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\nff02::2\t\tip6-allrouters\n\n127.0.1.1\t${s.hostname}\n`, mode: 0o644 },
    { path: '/etc/systemd/system/drover-firstboot.service', content: await readFile(join(inst, 'drover-firstboot.service'), 'utf8'), mode: 0o644 },
    { path: '/usr/local/lib/drover/drover-firstboot.sh', content: await readFile(join(inst, 'drover-firstboot.sh'), 'utf8'), mode: 0o755 },
  ];
  const links: ImageLink[] = [{ path: '/etc/systemd/system/multi-user.target.wants/drover-firstboot.service', target: '/etc/systemd/system/drover-firstboot.service' }];
  const boot: FlashPlan['boot'] = [];
  if (s.wifi) {
    if (/[\n\r]/.test(s.wifi.ssid + s.wifi.psk)) throw new UsageError('--wifi-ssid and the Wi-Fi key must be one line each');
    root.push({ path: '/etc/NetworkManager/system-connections/drover-wifi.nmconnection', content: nmConnection(s.wifi.ssid, s.wifi.psk), mode: 0o600 });
  }
  if (s.sshKey !== undefined) {
    root.push({ path: '/root/.ssh/authorized_keys', content: s.sshKey.endsWith('\n') ? s.sshKey : `${s.sshKey}\n`, mode: 0o600 });
    links.push({ path: '/etc/systemd/system/multi-user.target.wants/ssh.service', target: '/lib/systemd/system/ssh.service' });
    boot.push({ path: '/ssh', content: '' }); // Raspberry Pi OS enables sshd when the boot partition holds "ssh"
  }
  return { root, links, boot };
}

/**
 * `drover flash IMAGE`: write the agent bundle, join token, hub address, hostname, labels, optional Wi-Fi and SSH
 * key, and a first-boot unit into a Raspberry Pi OS / Debian disk image file (no mounting: debugfs and mtools),
 * then optionally copy it to a block device (--device, confirmed). Works offline: it never talks to the hub.
 */
import { access, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { UsageError } from '../errors.js';
import { ARCH_PROBES, archFromElf, type BundleArch } from '../flash/arch.js';
import { writeToDevice } from '../flash/device.js';
import { applyPlan } from '../flash/edit.js';
import { defaultOutput, prepareImage } from '../flash/image-file.js';
import { findBootAndRoot } from '../flash/partitions.js';
import { buildPlan, parseLabels } from '../flash/plan.js';
import { debugfsCat } from '../flash/tools.js';

interface FlashFlags {
  token?: string; tokenFile?: string; hub?: string; hostname?: string; labels?: string; imageHub?: string; wifiSsid?: string; wifiPskFile?: string;
  sshKey?: string; bundle?: string; output?: string; inPlace?: boolean; device?: string; yes?: boolean;
}

const VERSION = '0.1.0';

/** dist/bundles/drover-agent-VERSION-linux-ARCH.tar.gz beside this CLI (dist/hub/cli/commands -> dist/bundles). */
function defaultBundle(arch: BundleArch): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bundles', `drover-agent-${VERSION}-linux-${arch}.tar.gz`);
}

async function detectArch(image: string, offset: number): Promise<BundleArch> {
  for (const probe of ARCH_PROBES) {
    const head = await debugfsCat(image, offset, probe);
    const arch = head && archFromElf(head, `${probe} in the root file system`);
    if (arch) return arch;
  }
  throw new UsageError(`cannot tell the image's architecture: none of ${ARCH_PROBES.join(', ')} is an ELF binary in its root file system`);
}

async function confirm(device: string, io: CliIO): Promise<void> {
  if (!process.stdin.isTTY) throw new UsageError(`writing to ${device} erases it: pass --yes, or run in a terminal to confirm`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`This erases everything on ${device}. Type the device name to continue: `);
  rl.close();
  if (answer.trim() !== device) { io.err('not confirmed; nothing written\n'); throw new UsageError(`not confirmed: ${device} left unchanged`); }
}

export function registerFlashCommand(program: Command, io: CliIO): void {
  program.command('flash <image>')
    .description('write the Drover agent and its join settings into a Raspberry Pi OS / Debian disk image (.img or .img.xz)')
    .option('--token <token>', 'the join token (from `drover token create`)')
    .option('--token-file <file>', 'read the join token from this file')
    .option('--hub <url>', "the hub's MQTT address as the device reaches it, e.g. mqtts://hub.local:8883")
    .option('--hostname <name>', 'the device hostname and node name')
    .option('--labels <k=v,...>', 'node labels the agent registers with when it first joins (also written to /etc/drover/labels)')
    .option('--image-hub <host:port>', "the hub's HTTPS address as the device reaches it, for images pushed to the hub (default: the --hub host, port 7070)")
    .option('--wifi-ssid <ssid>', 'a Wi-Fi network to join (NetworkManager connection)')
    .option('--wifi-psk-file <file>', 'a file holding the Wi-Fi passphrase')
    .option('--ssh-key <file>', "a public key for root's authorized_keys; also enables sshd")
    .option('--bundle <file>', 'the agent bundle (default: dist/bundles/drover-agent-VERSION-linux-ARCH.tar.gz for the image architecture)')
    .option('-o, --output <file>', 'the edited image (default: IMAGE-HOSTNAME.img beside the input)')
    .option('--in-place', 'edit IMAGE itself (only a .img)')
    .option('--device <dev>', 'then write the edited image to this block device (erases it)')
    .option('--yes', 'do not ask before writing to --device')
    .action(async (image: string, f: FlashFlags) => {
      const token = f.token ?? (f.tokenFile ? await readFile(f.tokenFile, 'utf8') : process.env['DROVER_JOIN_TOKEN']);
      if (!token) throw new UsageError('drover flash needs --token (or --token-file, $DROVER_JOIN_TOKEN): create one with `drover token create`');
      if (!f.hub) throw new UsageError('drover flash needs --hub, e.g. --hub mqtts://hub.local:8883');
      if (!f.hostname) throw new UsageError('drover flash needs --hostname');
      if (f.wifiSsid && !f.wifiPskFile) throw new UsageError('--wifi-ssid needs --wifi-psk-file');
      if (f.inPlace && image.endsWith('.xz')) throw new UsageError('--in-place works on a .img, not a compressed .img.xz');
      const labels = parseLabels(f.labels); // a bad label is refused before any copy of the image is made
      const progress = (line: string) => io.err(`${line}\n`);
      const work = f.inPlace ? image : f.output ?? defaultOutput(image, f.hostname);
      if (!f.inPlace) await prepareImage(image, work, progress);
      const { boot, root } = await findBootAndRoot(work);
      progress(`boot: FAT partition #${boot.index} at byte ${boot.offset}; root: ext4 partition #${root.index} at byte ${root.offset}`);
      const arch = await detectArch(work, root.offset);
      const bundle = f.bundle ?? defaultBundle(arch);
      await access(bundle).catch((err: unknown) => {
        throw new UsageError(`no agent bundle for linux/${arch} at ${bundle} (build one, or pass --bundle FILE)`, { cause: err });
      });
      const plan = await buildPlan({
        hub: f.hub, token, hostname: f.hostname, labels, bundle, ...(f.imageHub ? { imageHub: f.imageHub } : {}),
        ...(f.wifiSsid && f.wifiPskFile ? { wifi: { ssid: f.wifiSsid, psk: (await readFile(f.wifiPskFile, 'utf8')).trim() } } : {}),
        ...(f.sshKey ? { sshKey: await readFile(f.sshKey, 'utf8') } : {}),
      });
      progress(`editing ${work} (linux/${arch}):`);
      await applyPlan(work, boot, root, plan, progress);
      progress(`image ready: ${work}`);
      if (f.device) {
        if (!f.yes) await confirm(f.device, io);
        await writeToDevice(work, f.device, (line) => progress(line));
      }
      io.out(`${work}\n`);
    });
}

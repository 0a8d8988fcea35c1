/**
 * A local image's ENTRYPOINT, CMD and USER, read from its config blob (`ctr content get`: the index, the
 * manifest for this machine's platform, then the config), for `args` without `command` and runAsNonRoot. Cached by the
 * image's digest: the same digest always has the same config.
 */
import { ImageNotFoundError, RuntimeCommandError } from '../errors.js';
import { RUNTIME, type Ctr } from './ctr.js';
import { filterQuote } from './ctr-output.js';

export interface ImageConfig {
  entrypoint: string[];
  cmd: string[];
  /** The image's USER ("" when it names none: root). */
  user: string;
}

/** Node's process.arch to the GOARCH name image indexes use. */
const GO_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' };

export interface ImageConfigs {
  of(ref: string): Promise<ImageConfig>;
}

export function createImageConfigs(ctr: Ctr): ImageConfigs {
  const byDigest = new Map<string, ImageConfig>();
  return {
    async of(ref) {
      const result = await ctr.run(['images', 'ls', `name==${filterQuote(ref)}`]);
      if (result.exitCode !== 0) throw ctr.failed('images ls', result);
      const row = result.stdout
        .split('\n')
        .slice(1)
        .map((l) => l.trim().split(/\s+/))
        .find((cols) => cols[0] === ref);
      const digest = row?.[2];
      if (!digest) throw new ImageNotFoundError(RUNTIME, ref, `image ${ref} is not present`);
      const cached = byDigest.get(digest);
      if (cached) return cached;
      let manifest = await ctr.contentJson(digest);
      if (Array.isArray(manifest.manifests)) {
        const arch = GO_ARCH[process.arch] ?? process.arch;
        const entries = manifest.manifests as { digest: string; platform?: { os?: string; architecture?: string } }[];
        const pick = entries.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? entries[0];
        if (!pick) throw new ImageNotFoundError(RUNTIME, ref, `image ${ref} has no manifest for linux/${arch}`);
        manifest = await ctr.contentJson(pick.digest);
      }
      const configDigest = (manifest.config as { digest?: string } | undefined)?.digest;
      if (!configDigest) throw new RuntimeCommandError(RUNTIME, `image ${ref}: manifest has no config`, undefined);
      const config = (await ctr.contentJson(configDigest)).config as { Entrypoint?: string[] | null; Cmd?: string[] | null; User?: string } | undefined;
      const found: ImageConfig = { entrypoint: config?.Entrypoint ?? [], cmd: config?.Cmd ?? [], user: config?.User ?? '' };
      byDigest.set(digest, found);
      return found;
    },
  };
}

/**
 * Parsers for the image listings of the runtimes' CLIs into ImageInfo. Pure functions, tested directly.
 */
import type { ImageInfo } from './runtime.js';

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4, kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** "os/arch[/variant]"; attestation entries ("unknown/unknown") are not platforms. */
function cleanPlatforms(list: string[]): string[] | undefined {
  const out = [...new Set(list.map((p) => p.trim()).filter((p) => /^[a-z0-9]+\/[a-z0-9_]+(\/[a-z0-9]+)?$/i.test(p) && !p.startsWith('unknown/')))];
  return out.length > 0 ? out : undefined;
}

/**
 * `ctr images ls` (containerd 1.6/1.7): "REF TYPE DIGEST SIZE PLATFORMS LABELS", SIZE printed as
 * "2.0 MiB" (two words). PLATFORMS is the complete list from the image's index or manifest.
 * Digest-only refs (sha256:...) are left out, as untagged images are.
 */
export function parseCtrImageList(text: string): ImageInfo[] {
  const out: ImageInfo[] = [];
  const row = /^(\S+)\s+(\S+)\s+(sha256:[0-9a-f]+)\s+([\d.]+)\s*([A-Za-z]+)\s+(\S+)(?:\s+.*)?$/;
  for (const line of text.split('\n').slice(1)) {
    const m = row.exec(line.trim());
    if (!m) continue;
    const [, name, , , amount, unit, platformColumn] = m as unknown as [string, string, string, string, string, string, string];
    if (name.startsWith('sha256:')) continue;
    const info: ImageInfo = { name };
    const factor = UNITS[unit];
    if (factor !== undefined) info.sizeBytes = Math.round(Number(amount) * factor);
    const platforms = cleanPlatforms(platformColumn.split(','));
    if (platforms) info.platforms = platforms;
    out.push(info);
  }
  return out;
}

interface DockerImageInspect {
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Os?: string;
  Architecture?: string;
  Variant?: string;
  Size?: number;
}

/**
 * `docker image inspect ID...` (a JSON array) into one ImageInfo per tag. Docker's classic store keeps
 * one platform per image; that is the complete list only for an image that never came from a registry
 * (no RepoDigests: built or loaded here), so only those report platforms.
 */
export function parseDockerImageInspect(json: string): ImageInfo[] {
  const parsed = JSON.parse(json) as DockerImageInspect[];
  const out: ImageInfo[] = [];
  for (const image of parsed) {
    const local = (image.RepoDigests ?? []).length === 0;
    const platform = image.Os && image.Architecture ? [image.Os, image.Architecture, image.Variant].filter(Boolean).join('/') : undefined;
    const platforms = local && platform ? cleanPlatforms([platform]) : undefined;
    for (const name of image.RepoTags ?? []) {
      if (name.includes('<none>')) continue;
      const info: ImageInfo = { name };
      if (typeof image.Size === 'number') info.sizeBytes = image.Size;
      if (platforms) info.platforms = platforms;
      out.push(info);
    }
  }
  return out;
}

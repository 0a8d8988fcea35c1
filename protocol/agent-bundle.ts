/**
 * The agent bundle as the hub serves it and a device fetches it (install/install.sh, a fleet upgrade):
 * the archive's file name (`drover-agent-<version>-linux-<arch>.tar.gz`, what install/build-agent-bundle.sh
 * writes), the architectures there are bundles for, and the entries of `GET /bundles/index.json`.
 * The signature of an entry is protocol/bundle-signature.ts's.
 */
import { z } from 'zod';

/** The architectures bundles are built for, as `drover-agent-...-linux-<arch>.tar.gz` names them. */
export const BUNDLE_ARCHES = ['amd64', 'arm64', 'armv7'] as const;
export type BundleArch = (typeof BUNDLE_ARCHES)[number];

/** A version as package.json writes it: MAJOR.MINOR.PATCH with an optional -prerelease and +build. */
export const BUNDLE_VERSION_RE = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const FILE_RE = /^drover-agent-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)-linux-([a-z0-9]+)\.tar\.gz$/;

export const isBundleArch = (arch: string): arch is BundleArch => (BUNDLE_ARCHES as readonly string[]).includes(arch);

/** `drover-agent-<version>-linux-<arch>.tar.gz` */
export function bundleFileName(version: string, arch: BundleArch): string {
  return `drover-agent-${version}-linux-${arch}.tar.gz`;
}

/**
 * The version and architecture a bundle's file name carries; undefined for a name that is not a bundle's
 * (so also for anything with a path separator in it). `arch` may be one no bundle is built for: the caller says so.
 */
export function parseBundleFileName(name: string): { version: string; arch: string } | undefined {
  const m = FILE_RE.exec(name);
  return m ? { version: m[1]!, arch: m[2]! } : undefined;
}

/** One entry of `GET /bundles/index.json`. */
export const bundleIndexEntrySchema = z.strictObject({
  version: z.string().regex(BUNDLE_VERSION_RE),
  arch: z.enum(BUNDLE_ARCHES),
  file: z.string().regex(FILE_RE),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** base64 of the hub CA's signature (protocol/bundle-signature.ts). */
  signature: z.string().min(1),
});
export type BundleIndexEntry = z.infer<typeof bundleIndexEntrySchema>;
export const bundleIndexSchema = z.array(bundleIndexEntrySchema);

/**
 * Semantic-version order (semver.org §11): numeric MAJOR.MINOR.PATCH, a prerelease before its release,
 * prerelease identifiers numeric before alphanumeric; build metadata ignored. Negative when a < b.
 */
export function compareBundleVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core = '', pre] = v.split('+')[0]!.split(/-(.*)/s);
    return { core: core.split('.').map(Number), pre: pre === undefined ? [] : pre.split('.') };
  };
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < 3; i++) {
    const d = (x.core[i] ?? 0) - (y.core[i] ?? 0);
    if (d !== 0) return d;
  }
  if (x.pre.length === 0 || y.pre.length === 0) return y.pre.length - x.pre.length;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i];
    const q = y.pre[i];
    if (p === undefined) return -1;
    if (q === undefined) return 1;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) - Number(q);
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return 0;
}

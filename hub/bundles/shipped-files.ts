/**
 * What the hub's own installation ships for devices: `install/install.sh` (served as /install.sh) and the
 * bundles `install/build-agent-bundle.sh` wrote to `dist/bundles`. Found from the package root (the first
 * directory above this module holding package.json): the same from the source tree and from dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

/** install/install.sh of this installation. */
export const shippedInstallScript = (): string => join(packageRoot(), 'install', 'install.sh');
/** dist/bundles of this installation. */
export const shippedBundleDir = (): string => join(packageRoot(), 'dist', 'bundles');

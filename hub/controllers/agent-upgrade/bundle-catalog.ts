/** Where the controller finds the bundle of a version for a node's architecture (the hub's /bundles/index.json). */
import type { BundleIndexEntry as AgentBundleRef } from '../../../protocol/agent-bundle.js';

export interface AgentBundleCatalog {
  /** The bundle of `version` for `arch` (amd64, arm64, armv7), signed; undefined when the hub has none. */
  find(version: string, arch: string): Promise<AgentBundleRef | undefined>;
}

/** A node's kubernetes.io/arch as the bundles name it (Kubernetes says "arm" for 32-bit ARM). */
export function bundleArchOf(nodeArch: string | undefined): string {
  if (nodeArch === 'arm') return 'armv7';
  return nodeArch ?? 'amd64';
}

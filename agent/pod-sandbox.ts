/**
 * What the pods loop needs of the node's pod network, and nothing more: a pod's sandbox (its network
 * namespace with its IP, as the kubelet's RunPodSandbox gives), made before its first container and torn
 * down after its last. agent/network implements it; agent/pods uses it; agent.ts hands one to the other.
 * Both import this module, neither imports the other.
 */
import type { Pod } from '../protocol/objects/pod.js';
import type { ContainerNetwork, Mount } from '../runtime-adapters/runtime.js';

export interface PodSandbox {
  /**
   * Changes whenever the sandbox is made anew (a new network namespace, a new sandbox container); the
   * containers of an older one are re-created, as the kubelet does on SandboxChanged. Undefined when the pod
   * has no sandbox of its own (host network, or the node has no pod network).
   */
  id: string | undefined;
  /** How the pod's containers join it (undefined: host network, or the runtime's default network). */
  network: ContainerNetwork | undefined;
  /** The pod's IPs (the CNI or sandbox addresses); empty when the runtime's default network gives them. */
  podIPs: string[];
  /** Mounts every container of the pod gets (its /etc/resolv.conf). */
  mounts: Mount[];
}

export interface PodSandboxes {
  /**
   * Make the pod's sandbox, or find the one it has (after an agent restart too). Throws PodNetworkError
   * when it cannot be made; the pod's containers then wait (ContainerCreating) and it is tried again.
   */
  ensure(pod: Pod): Promise<PodSandbox>;
  /** The pod's sandbox as last made or found, without making one. */
  current(uid: string): PodSandbox | undefined;
  /** The pod is gone: tear its sandbox down (CNI DEL, netns or sandbox container removed). Idempotent. */
  release(uid: string): Promise<void>;
  /** Tear down every sandbox of a pod not in `keep` (pods removed while the agent was away). */
  prune(keep: ReadonlySet<string>): Promise<void>;
}

/** The pod network of a node that has none: pods run on the runtime's default network. */
export const NO_POD_NETWORK: PodSandboxes = {
  ensure: async () => ({ id: undefined, network: undefined, podIPs: [], mounts: [] }),
  current: () => undefined,
  release: async () => undefined,
  prune: async () => undefined,
};

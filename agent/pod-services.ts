/**
 * What the pods loop needs of the node's Services: the environment variables Kubernetes gives a container for
 * the Services that exist when it is created (`<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`, ...; service
 * links). agent/network computes them (service-env.ts) from the node's network set; agent/pods merges them
 * into a container's environment at its creation (the container's own env wins); agent.ts hands one to the
 * other. Both import this module, neither imports the other.
 */
import type { Pod } from '../protocol/objects/pod.js';

export interface PodServiceEnv {
  /** The service variables for a container of this pod, in the kubelet's order (honours spec.enableServiceLinks). */
  envFor(pod: Pod): ReadonlyArray<{ name: string; value: string }>;
}

/** A node without Services (no network set, or a runtime without a pod network): no service variables. */
export const NO_SERVICE_ENV: PodServiceEnv = { envFor: () => [] };

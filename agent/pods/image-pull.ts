/**
 * A container's image, made present per its imagePullPolicy before the container is created, with the
 * kubelet's events and waiting reasons: "already present on machine" without pulling, else Pulling /
 * Pulled; a failed pull is ErrImagePull (ErrImageNeverPull for policy Never) and backs off (10 s doubling
 * to 5 min, backoff.ts), during which the container waits in ImagePullBackOff.
 */
import type { Container, Pod } from '../../protocol/objects/pod.js';
import { IMAGE_SOURCE_ANNOTATION } from '../../protocol/well-known.js';
import { ImageNotFoundError, ImagePullError } from '../../runtime-adapters/errors.js';
import type { HubImageSource } from '../../runtime-adapters/hub-images.js';
import type { ContainerRuntime, PullPolicy } from '../../runtime-adapters/runtime.js';
import { nextBackoff } from './backoff.js';
import type { ContainerRecord, WaitingRecord } from './container-records.js';
import { podRefOf, type PodEventSink } from './pod-events.js';
import { pullPolicyOf } from './pod-runtime.js';

export interface ImagePullOptions {
  runtime: ContainerRuntime;
  clock: () => number;
  events?: PodEventSink | undefined;
  /**
   * The hub's registry (images pushed with `drover image push`): pods annotated drover.io/image-source=hub
   * pull from it; others fall back to it when their registry pull fails. Absent: registries only.
   */
  hubImages?: HubImageSource | undefined;
  /** Wake the pass loop when the pull back-off ends. */
  wakeAt: (due: number) => void;
  /** Set (or clear) the container's waiting reason. */
  setWaiting: (rec: ContainerRecord, waiting: WaitingRecord | undefined, pod: Pod, container: string) => void;
}

export interface ImagePull {
  /** True once the image is present; false while backing off or after a failed pull (the record says why). */
  ready(pod: Pod, container: Container, rec: ContainerRecord, now: number): Promise<boolean>;
}

export function createImagePull(opts: ImagePullOptions): ImagePull {
  const { runtime, clock, wakeAt, setWaiting } = opts;
  const event: PodEventSink['record'] = (...args) => opts.events?.record(...args);

  /**
   * Make the container's image present per its pull policy, telling events what happened. A presence
   * check (policy Never) comes first so that the events say whether a pull happened.
   */
  async function pullImage(pod: Pod, container: Container, policy: PullPolicy): Promise<void> {
    const ref = podRefOf(pod);
    const image = container.image;
    if (policy !== 'Always') {
      try {
        await runtime.ensureImage(image, 'Never');
        event(ref, container.name, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
        return;
      } catch (err) {
        if (policy === 'Never' || !(err instanceof ImageNotFoundError)) throw err;
      }
    }
    event(ref, container.name, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const began = clock();
    const from = await pullFromSource(pod, image, policy);
    const took = `${((clock() - began) / 1000).toFixed(3)}s`;
    event(ref, container.name, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took}${from === 'hub' ? ' from the hub' : ''}`);
  }

  /** The registry the image names, or the hub (asked for, or when the registry pull fails). */
  async function pullFromSource(pod: Pod, image: string, policy: PullPolicy): Promise<'registry' | 'hub'> {
    const hub = opts.hubImages;
    const pullFromHub = runtime.pullImageFromHub?.bind(runtime);
    if (hub && pullFromHub && pod.metadata.annotations?.[IMAGE_SOURCE_ANNOTATION] === 'hub') {
      await pullFromHub(image, hub);
      return 'hub';
    }
    try {
      await runtime.ensureImage(image, policy);
      return 'registry';
    } catch (err) {
      if (!hub || !pullFromHub || !(err instanceof ImagePullError)) throw err;
      try {
        await pullFromHub(image, hub);
        return 'hub';
      } catch (hubErr) {
        throw new ImagePullError(runtime.name, image, `${err.message}; from the hub: ${(hubErr as Error).message}`, { cause: hubErr });
      }
    }
  }

  return {
    async ready(pod, container, rec, now) {
      const ref = podRefOf(pod);
      if (rec.pullRetryAfter !== undefined && now < rec.pullRetryAfter) {
        wakeAt(rec.pullRetryAfter);
        if (rec.waiting?.reason !== 'ImagePullBackOff') {
          event(ref, container.name, 'Normal', 'BackOff', `Back-off pulling image "${container.image}"`);
          event(ref, container.name, 'Warning', 'Failed', 'Error: ImagePullBackOff');
        }
        setWaiting(rec, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${container.image}"` }, pod, container.name);
        return false;
      }
      const policy = pullPolicyOf(container);
      try {
        await pullImage(pod, container, policy);
      } catch (err) {
        rec.pullBackoffMs = nextBackoff(rec.pullBackoffMs);
        rec.pullRetryAfter = now + rec.pullBackoffMs;
        wakeAt(rec.pullRetryAfter);
        const reason = policy === 'Never' && err instanceof ImageNotFoundError ? 'ErrImageNeverPull' : 'ErrImagePull';
        if (reason === 'ErrImageNeverPull') {
          event(ref, container.name, 'Warning', 'ErrImageNeverPull', `Container image "${container.image}" is not present with pull policy of Never`);
        } else {
          event(ref, container.name, 'Warning', 'Failed', `Failed to pull image "${container.image}": ${(err as Error).message}`);
        }
        event(ref, container.name, 'Warning', 'Failed', `Error: ${reason}`);
        setWaiting(rec, { reason, message: (err as Error).message }, pod, container.name);
        return false;
      }
      rec.pullBackoffMs = 0;
      delete rec.pullRetryAfter;
      return true;
    },
  };
}

/**
 * The PersistentVolume controller (Kubernetes' pv controller, pvc-protection controller and the
 * local-path provisioner in one loop):
 *
 * - claims: the `kubernetes.io/pvc-protection` finalizer is added to each; a claim being deleted goes
 *   once no pod that has not finished uses it. An unbound claim of an Immediate class (or of none) is
 *   bound to the smallest suitable free volume; one of a WaitForFirstConsumer class waits (event
 *   WaitForFirstConsumer) until the scheduler writes `volume.kubernetes.io/selected-node`, then is bound
 *   to a suitable free volume usable from that node or, in the local-path class, to a new volume made
 *   there (ProvisioningSucceeded). A bound claim is Bound with its volume's capacity; Lost when its
 *   volume is gone.
 * - volumes: Available without a claim, Bound with one, Released when their claim is gone. A Released
 *   volume of the Delete policy made by the local-path provisioner is removed: its node's agent deletes
 *   the directory (`VolumeCleaner`, a node command; retried while the node is away), then the object
 *   goes. Other Delete volumes are Failed (the provisioner did not make them); Retain ones stay Released.
 */
import type { Pod } from '../../../protocol/objects/pod.js';
import type { PersistentVolume, PersistentVolumeClaim, PersistentVolumeClaimPhase, PersistentVolumePhase } from '../../../protocol/objects/storage.js';
import { isTerminal } from '../../../protocol/pod-helpers.js';
import { kubeTimestamp } from '../../../protocol/time.js';
import {
  ANNOTATION_BIND_COMPLETED,
  ANNOTATION_BOUND_BY_CONTROLLER,
  ANNOTATION_SELECTED_NODE,
  ANNOTATION_STORAGE_PROVISIONER,
  FINALIZER_PVC_PROTECTION,
} from '../../../protocol/well-known.js';
import type { Node } from '../../../protocol/objects/node.js';
import { AlreadyExistsError, NotFoundError } from '../../store/errors.js';
import { updateWithRetry } from '../../store/update-with-retry.js';
import type { Controller, ControllerOptions } from '../controller.js';
import { createReconcileLoop, loopController } from '../reconcile-loop.js';
import { involvedObjectOf } from '../replicaset.js';
import { claimClassName, findMatchingVolume, isLocalPathClass, isProvisionedLocally, podClaimNames } from '../../placement/volumes.js';
import { storageViewOfCache } from '../../placement/live-snapshot.js';
import { defaultLocalPathClass, nodeVolumeDir, provisionVolume, volumeNodeName } from './local-path.js';

export const VOLUME_CONTROLLER = 'persistentvolume-controller';
/** How soon a volume whose node could not delete its directory is tried again. */
export const CLEANUP_RETRY_MS = 15_000;

/** Has a node's agent remove a local-path volume's directory (a node command; throws when the node is away or refuses). */
export interface VolumeCleaner {
  deleteVolume(node: string, volume: string): Promise<void>;
}

export interface VolumeControllerOptions extends ControllerOptions {
  cleaner: VolumeCleaner;
  resyncMs?: number;
  /** How soon a volume whose node could not delete its directory is tried again (default CLEANUP_RETRY_MS). */
  cleanupRetryMs?: number;
  /** Create the default `local-path` StorageClass when no class of that name exists (default true). */
  ensureDefaultClass?: boolean;
}

const CLAIM = 'claim:';
const VOLUME = 'volume:';
const claimKey = (namespace: string, name: string): string => `${CLAIM}${namespace}/${name}`;
const volumeKey = (name: string): string => `${VOLUME}${name}`;

/** Whether the pod (not finished) mounts the claim: what pvc-protection waits for. */
export function podUsesClaim(pod: Pod, namespace: string, claim: string): boolean {
  return (pod.metadata.namespace ?? 'default') === namespace && !isTerminal(pod) && podClaimNames(pod).includes(claim);
}

export async function createVolumeController(opts: VolumeControllerOptions): Promise<Controller> {
  const { store, cache, clock, events, cleaner } = opts;
  const logger = opts.logger.child({ controller: 'volume' });
  const source = { component: VOLUME_CONTROLLER };
  const storage = storageViewOfCache(cache);
  const claims = cache.kind<PersistentVolumeClaim>('PersistentVolumeClaim');
  const volumes = cache.kind<PersistentVolume>('PersistentVolume');

  const warn = (obj: PersistentVolumeClaim | PersistentVolume, reason: string, message: string) => void events.record(involvedObjectOf(obj), 'Warning', reason, message, source);
  const normal = (obj: PersistentVolumeClaim | PersistentVolume, reason: string, message: string) => void events.record(involvedObjectOf(obj), 'Normal', reason, message, source);

  async function setClaimStatus(claim: PersistentVolumeClaim, phase: PersistentVolumeClaimPhase, pv?: PersistentVolume): Promise<PersistentVolumeClaim> {
    const status: PersistentVolumeClaim['status'] = pv && phase === 'Bound' ? { phase, accessModes: [...pv.spec.accessModes], capacity: { storage: pv.spec.capacity.storage } } : { phase };
    const result = await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace ?? 'default', name: claim.metadata.name }, (current) => {
      if (JSON.stringify(current.status ?? {}) === JSON.stringify(status)) return undefined;
      return { ...current, status };
    });
    return result.outcome === 'notFound' ? claim : result.object;
  }

  async function setVolumePhase(pv: PersistentVolume, phase: PersistentVolumePhase, message?: string): Promise<void> {
    await updateWithRetry<PersistentVolume>(store, { kind: 'PersistentVolume', namespace: '', name: pv.metadata.name }, (current) => {
      if (current.status?.phase === phase && current.status.message === message) return undefined;
      const lastPhaseTransitionTime = current.status?.phase === phase ? current.status.lastPhaseTransitionTime : kubeTimestamp(clock());
      return { ...current, status: { phase, ...(message ? { message } : {}), ...(lastPhaseTransitionTime ? { lastPhaseTransitionTime } : {}) } };
    });
  }

  /** Bind both ways: the volume's claimRef (and Bound), then the claim's volumeName (and Bound). */
  async function bind(claim: PersistentVolumeClaim, pv: PersistentVolume): Promise<void> {
    const namespace = claim.metadata.namespace ?? 'default';
    const ref = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace, name: claim.metadata.name, ...(claim.metadata.uid ? { uid: claim.metadata.uid } : {}) };
    const bound = await updateWithRetry<PersistentVolume>(store, { kind: 'PersistentVolume', namespace: '', name: pv.metadata.name }, (current) => {
      const have = current.spec.claimRef;
      if (have?.name && (have.name !== ref.name || (have.namespace ?? 'default') !== namespace || (have.uid && have.uid !== ref.uid))) return undefined;
      return { ...current, spec: { ...current.spec, claimRef: { ...have, ...ref } }, status: { phase: 'Bound', lastPhaseTransitionTime: kubeTimestamp(clock()) } };
    });
    if (bound.outcome === 'notFound') return;
    const ownRef = bound.object.spec.claimRef;
    if (ownRef?.name !== claim.metadata.name || (ownRef.namespace ?? 'default') !== namespace) return; // another claim won it: retried on the next event
    const result = await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace, name: claim.metadata.name }, (current) => {
      if (current.spec.volumeName && current.spec.volumeName !== pv.metadata.name) return undefined;
      return {
        ...current,
        metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [ANNOTATION_BIND_COMPLETED]: 'yes', [ANNOTATION_BOUND_BY_CONTROLLER]: 'yes' } },
        spec: { ...current.spec, volumeName: pv.metadata.name },
        status: { phase: 'Bound', accessModes: [...bound.object.spec.accessModes], capacity: { storage: bound.object.spec.capacity.storage } },
      };
    });
    if (result.outcome === 'updated') logger.info({ claim: `${namespace}/${claim.metadata.name}`, volume: pv.metadata.name }, 'claim bound');
  }

  async function removeProtection(claim: PersistentVolumeClaim): Promise<void> {
    const namespace = claim.metadata.namespace ?? 'default';
    const result = await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace, name: claim.metadata.name }, (current) => {
      const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== FINALIZER_PVC_PROTECTION);
      if (finalizers.length === (current.metadata.finalizers ?? []).length) return undefined;
      const { finalizers: _f, ...metadata } = current.metadata;
      return { ...current, metadata: finalizers.length ? { ...metadata, finalizers } : metadata };
    });
    if (result.outcome === 'notFound') return;
    // the API removes an object being deleted once its last finalizer goes; the store write is ours to do here
    if ((result.object.metadata.finalizers ?? []).length === 0) {
      try {
        await store.delete({ kind: 'PersistentVolumeClaim', namespace, name: claim.metadata.name }, { expectedResourceVersion: result.object.metadata.resourceVersion });
        logger.info({ claim: `${namespace}/${claim.metadata.name}` }, 'claim deleted: no pod uses it');
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
  }

  async function reconcileClaim(namespace: string, name: string): Promise<void> {
    let claim = await store.get<PersistentVolumeClaim>({ kind: 'PersistentVolumeClaim', namespace, name });
    if (!claim) return;
    if (claim.metadata.deletionTimestamp) {
      const users = cache.kind<Pod>('Pod').list({ namespace }).filter((p) => podUsesClaim(p, namespace, name));
      if (users.length === 0) await removeProtection(claim);
      else logger.debug({ claim: `${namespace}/${name}`, pods: users.map((p) => p.metadata.name) }, 'claim being deleted waits for the pods that use it');
      return;
    }
    if (!(claim.metadata.finalizers ?? []).includes(FINALIZER_PVC_PROTECTION)) {
      const result = await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace, name }, (current) =>
        (current.metadata.finalizers ?? []).includes(FINALIZER_PVC_PROTECTION) ? undefined : { ...current, metadata: { ...current.metadata, finalizers: [...(current.metadata.finalizers ?? []), FINALIZER_PVC_PROTECTION] } },
      );
      if (result.outcome === 'notFound') return;
      claim = result.object;
    }
    if (claim.spec.volumeName) return reconcileBoundClaim(claim, claim.spec.volumeName);
    const className = claimClassName(claim);
    const sc = className ? storage.storageClass(className) : undefined;
    if (className && !sc) {
      if (claim.status?.phase !== 'Pending') warn(claim, 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`);
      await setClaimStatus(claim, 'Pending');
      return;
    }
    if (!sc || (sc.volumeBindingMode ?? 'Immediate') === 'Immediate') {
      const pv = findMatchingVolume(claim, storage.volumes());
      if (pv) return bind(claim, pv);
      if (claim.status?.phase !== 'Pending') {
        warn(claim, sc && isLocalPathClass(sc) ? 'ProvisioningFailed' : 'FailedBinding', sc && isLocalPathClass(sc)
          ? `the ${sc.provisioner} provisioner makes a volume on the node of the claim's first pod: use a StorageClass with volumeBindingMode WaitForFirstConsumer`
          : 'no persistent volumes available for this claim and no storage class is set');
      }
      await setClaimStatus(claim, 'Pending');
      return;
    }
    const selected = claim.metadata.annotations?.[ANNOTATION_SELECTED_NODE];
    if (!selected) {
      if (claim.status?.phase !== 'Pending') normal(claim, 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding');
      await setClaimStatus(claim, 'Pending');
      return;
    }
    const node = cache.kind<Node>('Node').get('', selected);
    if (!node) {
      // the node chosen is gone: let the scheduler choose again
      warn(claim, 'ProvisioningFailed', `the selected node "${selected}" does not exist: the claim waits for its pod to be placed again`);
      await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace, name }, (current) => {
        if (current.metadata.annotations?.[ANNOTATION_SELECTED_NODE] !== selected) return undefined;
        const { [ANNOTATION_SELECTED_NODE]: _gone, ...annotations } = current.metadata.annotations;
        return { ...current, metadata: { ...current.metadata, annotations } };
      });
      return;
    }
    const existing = findMatchingVolume(claim, storage.volumes(), node);
    if (existing) return bind(claim, existing);
    if (!isLocalPathClass(sc)) {
      if (claim.status?.phase !== 'Pending') warn(claim, 'FailedBinding', `no persistent volumes available for this claim on node "${selected}"`);
      await setClaimStatus(claim, 'Pending');
      return;
    }
    const dir = nodeVolumeDir(node);
    if (!dir) {
      warn(claim, 'ProvisioningFailed', `node "${selected}" does not report its local volume directory (an agent older than the hub?): no local-path volume can be made there`);
      await setClaimStatus(claim, 'Pending');
      return;
    }
    const fresh = provisionVolume(claim, sc, node, dir);
    let pv: PersistentVolume;
    try {
      pv = await store.create<PersistentVolume>(fresh);
      normal(claim, 'ProvisioningSucceeded', `Successfully provisioned volume ${pv.metadata.name} on node ${selected}`);
      logger.info({ claim: `${namespace}/${name}`, volume: pv.metadata.name, node: selected, path: pv.spec.local?.path }, 'local-path volume provisioned');
    } catch (err) {
      if (!(err instanceof AlreadyExistsError)) throw err;
      const had = await store.get<PersistentVolume>({ kind: 'PersistentVolume', namespace: '', name: fresh.metadata.name });
      if (!had) throw err;
      pv = had;
    }
    await updateWithRetry<PersistentVolumeClaim>(store, { kind: 'PersistentVolumeClaim', namespace, name }, (current) =>
      current.metadata.annotations?.[ANNOTATION_STORAGE_PROVISIONER] === sc.provisioner
        ? undefined
        : { ...current, metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [ANNOTATION_STORAGE_PROVISIONER]: sc.provisioner } } },
    );
    const latest = await store.get<PersistentVolumeClaim>({ kind: 'PersistentVolumeClaim', namespace, name });
    if (latest) await bind(latest, pv);
  }

  async function reconcileBoundClaim(claim: PersistentVolumeClaim, volumeName: string): Promise<void> {
    const pv = await store.get<PersistentVolume>({ kind: 'PersistentVolume', namespace: '', name: volumeName });
    if (!pv) {
      if (claim.status?.phase === 'Bound') warn(claim, 'ClaimLost', `Bound claim has lost its PersistentVolume "${volumeName}". Data on the volume is lost!`);
      await setClaimStatus(claim, claim.status?.phase === 'Bound' || claim.status?.phase === 'Lost' ? 'Lost' : 'Pending');
      return;
    }
    const ref = pv.spec.claimRef;
    const mine = ref?.name === claim.metadata.name && (ref.namespace ?? 'default') === (claim.metadata.namespace ?? 'default') && (!ref.uid || ref.uid === claim.metadata.uid);
    if (!ref?.name || (mine && pv.status?.phase !== 'Bound')) return bind(claim, pv);
    if (!mine) {
      if (claim.status?.phase !== 'Pending') warn(claim, 'FailedBinding', `volume "${volumeName}" is already bound to a different claim`);
      await setClaimStatus(claim, 'Pending');
      return;
    }
    await setClaimStatus(claim, 'Bound', pv);
  }

  async function reconcileVolume(name: string): Promise<void> {
    const pv = await store.get<PersistentVolume>({ kind: 'PersistentVolume', namespace: '', name });
    if (!pv) return;
    const ref = pv.spec.claimRef;
    if (!ref?.name) {
      await setVolumePhase(pv, 'Available');
      return;
    }
    const claim = await store.get<PersistentVolumeClaim>({ kind: 'PersistentVolumeClaim', namespace: ref.namespace ?? 'default', name: ref.name });
    if (claim && (!ref.uid || ref.uid === claim.metadata.uid)) {
      if (claim.spec.volumeName === name) await setVolumePhase(pv, 'Bound');
      else loop.enqueue(claimKey(ref.namespace ?? 'default', ref.name)); // pre-bound to a claim not bound yet
      return;
    }
    // the claim is gone (or is another one of its name): the volume is released
    const policy = pv.spec.persistentVolumeReclaimPolicy ?? 'Retain';
    if (policy === 'Retain') {
      if (pv.status?.phase !== 'Released') normal(pv, 'VolumeReleased', `claim ${ref.namespace ?? 'default'}/${ref.name} is gone: the volume and its data are kept (Retain)`);
      await setVolumePhase(pv, 'Released');
      return;
    }
    if (!isProvisionedLocally(pv)) {
      const message = 'Delete is only done for volumes the local-path provisioner made: remove the directory and the PersistentVolume yourself';
      if (pv.status?.phase !== 'Failed') warn(pv, 'VolumeFailedDelete', message);
      await setVolumePhase(pv, 'Failed', message);
      return;
    }
    const node = volumeNodeName(pv);
    if (!node) {
      await setVolumePhase(pv, 'Failed', 'the volume names no single node to delete its directory on');
      return;
    }
    await setVolumePhase(pv, 'Released');
    try {
      await cleaner.deleteVolume(node, name);
    } catch (err) {
      const message = `waiting for node ${node} to delete the volume's directory: ${(err as Error).message}`;
      logger.info({ volume: name, node, err }, 'volume directory not deleted yet; retrying');
      await setVolumePhase(pv, 'Released', message);
      loop.requeueAfter(volumeKey(name), opts.cleanupRetryMs ?? CLEANUP_RETRY_MS);
      return;
    }
    try {
      await store.delete({ kind: 'PersistentVolume', namespace: '', name });
      logger.info({ volume: name, node }, 'released volume deleted (Delete reclaim policy)');
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
  }

  async function reconcile(key: string): Promise<void> {
    if (key.startsWith(VOLUME)) return reconcileVolume(key.slice(VOLUME.length));
    const rest = key.slice(CLAIM.length);
    const slash = rest.indexOf('/');
    return reconcileClaim(rest.slice(0, slash), rest.slice(slash + 1));
  }

  const loop = createReconcileLoop({
    name: VOLUME_CONTROLLER,
    logger,
    reconcile,
    resyncMs: opts.resyncMs,
    listKeys: async () => [
      ...claims.list().map((c) => claimKey(c.metadata.namespace ?? 'default', c.metadata.name)),
      ...volumes.list().map((v) => volumeKey(v.metadata.name)),
    ],
  });

  const controller = loopController(loop, logger, () => [
    claims.subscribe((e) => {
      const c = e.object;
      if (e.type !== 'DELETED') loop.enqueue(claimKey(c.metadata.namespace ?? 'default', c.metadata.name));
      const volume = c.spec.volumeName ?? e.old?.spec.volumeName;
      if (volume) loop.enqueue(volumeKey(volume));
    }),
    volumes.subscribe((e) => {
      const v = e.object;
      if (e.type !== 'DELETED') loop.enqueue(volumeKey(v.metadata.name));
      const ref = v.spec.claimRef;
      if (ref?.name) loop.enqueue(claimKey(ref.namespace ?? 'default', ref.name));
    }),
    // a pod gone (or finished) may let a claim being deleted go
    cache.kind<Pod>('Pod').subscribe((e) => {
      const pod = e.object;
      if (e.type !== 'DELETED' && !isTerminal(pod)) return;
      for (const name of podClaimNames(pod)) {
        const c = claims.get(pod.metadata.namespace ?? 'default', name);
        if (c?.metadata.deletionTimestamp) loop.enqueue(claimKey(pod.metadata.namespace ?? 'default', name));
      }
    }),
    // a class created after its claims
    cache.kind('StorageClass').subscribe(() => {
      for (const c of claims.list()) if (!c.spec.volumeName) loop.enqueue(claimKey(c.metadata.namespace ?? 'default', c.metadata.name));
    }),
  ]);

  return {
    async start() {
      if (opts.ensureDefaultClass !== false) {
        try {
          if (!(await store.get({ kind: 'StorageClass', namespace: '', name: defaultLocalPathClass().metadata.name }))) {
            await store.create(defaultLocalPathClass());
            logger.info('default StorageClass local-path created');
          }
        } catch (err) {
          if (!(err instanceof AlreadyExistsError)) throw err;
        }
      }
      await controller.start();
    },
    stop: () => controller.stop(),
  };
}

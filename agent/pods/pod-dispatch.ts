/**
 * One piece of work in flight per pod: a slow image pull or a long grace period holds up only its own
 * pod. Each pod counts the work it finished (its epoch): a pass that listed containers before a piece of
 * work finished saw the runtime as it was before, so it does not dispatch to that pod; the pass that
 * follows does. Work that changed something (a runtime call that changes containers, or the pod's
 * records) calls `onChanged`, so that another pass looks at once; work that changed nothing (an adopted
 * container, a back-off still running) does not, or an agent with pods would pass back to back forever.
 */
import type { Logger } from '../../protocol/logger.js';
import type { ContainerRecords } from './container-records.js';

export interface PodDispatchOptions {
  records: ContainerRecords;
  /** Changing runtime calls made so far (counting-runtime.ts). */
  mutations: () => number;
  /** Work that changed something finished. */
  onChanged: () => void;
  /** True once the loop stops: no new work starts. */
  isStopped: () => boolean;
  logger: Logger;
}

export interface PodDispatch {
  /** Each pod's epoch as of now, for a pass about to list containers: `(uid) => epoch`. */
  epochs(): (uid: string) => number;
  /** Run `work` for the pod unless it is busy or finished something since `epochAtList`. */
  run(uid: string, epochAtList: number, what: string, work: () => Promise<void>): Promise<void> | undefined;
  isBusy(uid: string): boolean;
  /** Forget a pod that is gone. */
  forget(uid: string): void;
  /** Wait for every piece of work in flight. */
  settled(): Promise<void>;
}

interface PodLane {
  busy: boolean;
  /** Completed operations. */
  epoch: number;
}

export function createPodDispatch(opts: PodDispatchOptions): PodDispatch {
  const { records, mutations, logger: log } = opts;
  const lanes = new Map<string, PodLane>();
  const inFlight = new Set<Promise<void>>();

  function lane(uid: string): PodLane {
    let l = lanes.get(uid);
    if (!l) lanes.set(uid, (l = { busy: false, epoch: 0 }));
    return l;
  }

  return {
    epochs() {
      const epochs = new Map([...lanes].map(([uid, l]) => [uid, l.epoch]));
      return (uid) => epochs.get(uid) ?? lane(uid).epoch;
    },
    run(uid, epochAtList, what, work) {
      const l = lane(uid);
      if (l.busy || l.epoch !== epochAtList || opts.isStopped()) return undefined;
      l.busy = true;
      const mutationsBefore = mutations();
      const recordsBefore = records.podSnapshot(uid);
      let changed = false;
      const run = (async () => {
        try {
          await work();
        } catch (err) {
          log.error({ err, podUid: uid, what }, 'pod work failed; it is retried on the next pass');
        } finally {
          l.busy = false;
          l.epoch++;
          changed = mutations() !== mutationsBefore || records.podSnapshot(uid) !== recordsBefore;
        }
        try {
          await records.save();
        } catch (err) {
          log.error({ err }, 'could not save container records');
        }
      })();
      inFlight.add(run);
      // run never rejects: every failure above is logged
      void run.then(() => {
        inFlight.delete(run);
        if (changed) opts.onChanged();
      });
      return run;
    },
    isBusy: (uid) => lanes.get(uid)?.busy ?? false,
    forget(uid) {
      lanes.delete(uid);
    },
    async settled() {
      await Promise.all([...inFlight]);
    },
  };
}

/**
 * What the agent remembers about each container of each pod beyond what the runtime can tell it:
 * restart counts, back-off state, the last termination (lastState) and the current waiting reason.
 * Kept in dataDir/containers.json so an agent restart does not reset restart counts or back-offs.
 */
import { join } from 'node:path';
import { moveAside, writeFileDurable } from '../../protocol/durable-file.js';
import type { Logger } from '../../protocol/logger.js';
import { ContainerRecordsCorruptError } from '../errors.js';
import { readStateJson } from '../state-file.js';

export const CONTAINER_RECORDS_FILE = 'containers.json';

export interface TerminatedRecord {
  exitCode: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}

export interface WaitingRecord {
  reason: string;
  message?: string;
}

export interface ContainerRecord {
  restartCount: number;
  /** Crash/start back-off to apply before the next restart (ms); 0 until the first failure. */
  backoffMs: number;
  /** Clock time before which the container is not restarted (crash back-off). */
  retryAfter?: number;
  /** Runtime id of the exited container whose exit is already counted into the back-off. */
  exitCountedFor?: string;
  /** Clock time this container instance started running (set by the agent when it starts or adopts it). */
  runningSince?: number;
  /** Image pull back-off (ms) and the clock time before which the pull is not retried. */
  pullBackoffMs: number;
  pullRetryAfter?: number;
  /** The previous instance's termination: the status' lastState. */
  lastTerminated?: TerminatedRecord;
  /** Why the container is not running, when the agent knows better than the runtime. */
  waiting?: WaitingRecord;
}

type RecordFile = Record<string, Record<string, ContainerRecord>>;

export interface ContainerRecords {
  load(): Promise<void>;
  /** The record of one container, created empty on first use. */
  get(podUid: string, container: string): ContainerRecord;
  /** The record if it exists, without creating one. */
  peek(podUid: string, container: string): ContainerRecord | undefined;
  podUids(): string[];
  /** The pod's records as text: equal texts mean nothing about the pod changed in between. */
  podSnapshot(podUid: string): string;
  forgetPod(podUid: string): void;
  /** Forget a container of a pod (e.g. removed from the spec). */
  forgetContainer(podUid: string, container: string): void;
  /** Write to disk if anything changed since the last save. */
  save(): Promise<void>;
}

export function emptyRecord(): ContainerRecord {
  return { restartCount: 0, backoffMs: 0, pullBackoffMs: 0 };
}

export function createContainerRecords(opts: { dataDir: string; logger: Logger }): ContainerRecords {
  const path = join(opts.dataDir, CONTAINER_RECORDS_FILE);
  const log = opts.logger.child({ component: 'container-records' });
  let records: RecordFile = {};
  let savedText = '{}';
  let saving: Promise<void> = Promise.resolve();

  async function readRecords(): Promise<RecordFile> {
    const parsed = await readStateJson(path, (reason, cause) => new ContainerRecordsCorruptError(path, reason, { cause }));
    if (parsed === undefined) return {};
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ContainerRecordsCorruptError(path, 'not an object');
    const out: RecordFile = {};
    for (const [uid, byName] of Object.entries(parsed as Record<string, unknown>)) {
      if (!byName || typeof byName !== 'object') continue;
      out[uid] = {};
      for (const [name, rec] of Object.entries(byName as Record<string, Partial<ContainerRecord>>)) {
        out[uid][name] = { ...emptyRecord(), ...rec };
      }
    }
    return out;
  }

  return {
    async load() {
      try {
        records = await readRecords();
      } catch (err) {
        if (!(err instanceof ContainerRecordsCorruptError)) throw err;
        log.error({ err }, 'container records are corrupt: moving them aside; restart counts start again from 0');
        await moveAside(path);
        records = {};
      }
      savedText = JSON.stringify(records);
    },
    get(podUid, container) {
      const byName = (records[podUid] ??= {});
      return (byName[container] ??= emptyRecord());
    },
    peek: (podUid, container) => records[podUid]?.[container],
    podUids: () => Object.keys(records),
    podSnapshot: (podUid) => JSON.stringify(records[podUid] ?? {}),
    forgetPod(podUid) {
      delete records[podUid];
    },
    forgetContainer(podUid, container) {
      const byName = records[podUid];
      if (byName) delete byName[container];
    },
    save() {
      const run = saving.then(async () => {
        const text = JSON.stringify(records);
        if (text === savedText) return;
        await writeFileDurable(path, text, { mode: 0o600 });
        savedText = text;
      });
      // the caller gets the failure; the chain itself stays usable for the next save
      saving = run.catch(() => undefined);
      return run;
    },
  };
}

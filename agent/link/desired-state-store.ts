/**
 * The node's desired pod set, as last received from the hub, kept on disk so the agent can run its
 * pods with no hub in reach. A set is written (durably: temp file, fsync, rename, fsync dir) before the agent acts on it; a set for
 * another node or with an older generation than the current one is ignored.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { moveAside, writeFileDurable } from '../../protocol/durable-file.js';
import { MessageError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import { decodeMessage, desiredSetMessageSchema, type DesiredSetMessage } from '../../protocol/messages.js';
import type { DesiredSet } from '../desired-set.js';
import { DesiredStateCorruptError } from '../errors.js';
import { readStateFile } from '../state-file.js';

export const DESIRED_FILE = 'desired.json';

export interface DesiredStateStore {
  readonly path: string;
  /** What is on disk (undefined if nothing). Throws DesiredStateCorruptError for an unreadable file. */
  load(): Promise<DesiredSet | undefined>;
  /** load(), but a corrupt file is logged, moved aside to desired.json.corrupt and treated as absent. */
  loadOrDiscard(): Promise<DesiredSet | undefined>;
  /**
   * One payload from the desired topic. Returns the set if it was accepted, stored and differs from the
   * current one; undefined if it was malformed, not for this node, older, or the same as the current.
   */
  receive(topic: string, payload: Buffer | string): Promise<DesiredSet | undefined>;
  current(): DesiredSet | undefined;
}

export function createDesiredStateStore(opts: { dataDir: string; nodeName: string; logger: Logger }): DesiredStateStore {
  const path = join(opts.dataDir, DESIRED_FILE);
  const log = opts.logger.child({ component: 'desired-state-store' });
  let current: DesiredSet | undefined;
  // Writes are serialised so that two sets arriving together are stored in arrival order.
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<DesiredSet | undefined> {
    const text = await readStateFile(path, (reason, cause) => new DesiredStateCorruptError(path, reason, { cause }));
    if (text === undefined) return undefined;
    let set: DesiredSet;
    try {
      set = withNamedPods(decodeMessage(desiredSetMessageSchema, path, text));
    } catch (err) {
      const reason = err instanceof MessageError ? err.message.replace(`bad message on ${path}: `, '') : String(err);
      throw new DesiredStateCorruptError(path, reason, { cause: err });
    }
    if (set.node !== opts.nodeName) {
      log.warn({ path, storedFor: set.node }, 'stored desired state is for another node: ignoring it');
      return undefined;
    }
    current = set;
    return set;
  }

  async function loadOrDiscard(): Promise<DesiredSet | undefined> {
    try {
      return await load();
    } catch (err) {
      if (!(err instanceof DesiredStateCorruptError)) throw err;
      const aside = `${path}.corrupt`;
      log.error({ err, movedTo: aside }, 'stored desired state is corrupt: moving it aside and waiting for the hub to send a new one');
      await moveAside(path);
      return undefined;
    }
  }

  async function accept(topic: string, payload: Buffer | string): Promise<DesiredSet | undefined> {
    let set: DesiredSet;
    try {
      set = withNamedPods(decodeMessage(desiredSetMessageSchema, topic, payload));
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed desired set');
      return undefined;
    }
    if (set.node !== opts.nodeName) {
      log.warn({ topic, for: set.node }, 'dropping a desired set meant for another node');
      return undefined;
    }
    if (current && set.generation < current.generation) {
      log.info({ generation: set.generation, current: current.generation }, 'ignoring an older desired set');
      return undefined;
    }
    if (current && set.generation === current.generation && sameContent(set, current)) return undefined;
    await writeFileDurable(path, JSON.stringify(set), { mode: 0o600 });
    current = set;
    log.info({ generation: set.generation, pods: set.pods.length }, 'stored a new desired set');
    return set;
  }

  return {
    path,
    load,
    loadOrDiscard,
    receive(topic, payload) {
      const result = queue.then(() => accept(topic, payload));
      queue = result.catch(() => undefined);
      return result;
    },
    current: () => current,
  };
}

function withNamedPods(set: DesiredSetMessage): DesiredSet {
  const index = set.pods.findIndex((p) => !p.metadata.name);
  if (index >= 0) throw new MessageError('desired', `pods.${index}.metadata.name: a pod in a desired set must have a name`);
  return set as DesiredSet;
}

/** Same pods and config: both sides are decoded JSON, so key order and absent keys compare as in JSON. */
function sameContent(a: DesiredSet, b: DesiredSet): boolean {
  return isDeepStrictEqual(a.pods, b.pods) && isDeepStrictEqual(a.config, b.config);
}

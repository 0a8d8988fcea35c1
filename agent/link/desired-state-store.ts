/**
 * The node's desired pod set, as last received from the hub, kept on disk so the agent can run its
 * pods with no hub in reach. A set is written (durably: temp file, fsync, rename, fsync dir) before the agent
 * acts on it, sealed with its checksum (state-file.ts: damage that still parses is caught when it is read
 * back); a set for another node or with an older generation than the current one is ignored. A set split
 * into parts (too large for one message) is put together first (desired-parts.ts): nothing of it is stored
 * or used until every part of its generation is in.
 */
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { moveAside, writeFileDurable } from '../../protocol/durable-file.js';
import { MessageError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/logger.js';
import { decodeMessage, desiredSetMessageSchema, MAX_DESIRED_SET_BYTES, type DesiredSetMessage } from '../../protocol/messages.js';
import { parseTopic } from '../../protocol/topics.js';
import type { DesiredSet } from '../desired-set.js';
import { DesiredStateCorruptError } from '../errors.js';
import { readSealedStateFile, sealStateFile } from '../state-file.js';
import { createDesiredPartsAssembler } from './desired-parts.js';

export const DESIRED_FILE = 'desired.json';

export interface DesiredStateStoreOptions {
  dataDir: string;
  nodeName: string;
  logger: Logger;
  /**
   * A part said its set comes in `parts` messages: the link subscribes to the topics of parts 1..parts-1
   * (topics.nodeDesiredPart), whose retained messages then arrive. Called for every part received.
   */
  onParts?: (parts: number) => void;
}

export interface DesiredStateStore {
  readonly path: string;
  /** What is on disk (undefined if nothing). Throws DesiredStateCorruptError for an unreadable or damaged file. */
  load(): Promise<DesiredSet | undefined>;
  /** load(), but a corrupt file is logged, moved aside to desired.json.corrupt and treated as absent. */
  loadOrDiscard(): Promise<DesiredSet | undefined>;
  /**
   * One payload from a desired topic (nodes/N/desired or nodes/N/desired/K). Returns the set if it was
   * accepted, stored and differs from the current one; undefined if it was malformed, not for this node,
   * older, the same as the current, or a part of a set whose other parts are still to come.
   */
  receive(topic: string, payload: Buffer | string): Promise<DesiredSet | undefined>;
  current(): DesiredSet | undefined;
}

export function createDesiredStateStore(opts: DesiredStateStoreOptions): DesiredStateStore {
  const path = join(opts.dataDir, DESIRED_FILE);
  const log = opts.logger.child({ component: 'desired-state-store' });
  const parts = createDesiredPartsAssembler();
  let current: DesiredSet | undefined;
  // Writes are serialised so that two sets arriving together are stored in arrival order.
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<DesiredSet | undefined> {
    const file = await readSealedStateFile(path, (reason, cause) => new DesiredStateCorruptError(path, reason, { cause }));
    if (file === undefined) return undefined;
    let set: DesiredSet;
    try {
      // a set put together from parts may be larger than one message
      set = withNamedPods(decodeMessage(desiredSetMessageSchema, path, file.content, MAX_DESIRED_SET_BYTES));
    } catch (err) {
      const reason = err instanceof MessageError ? err.message.replace(`bad message on ${path}: `, '') : String(err);
      throw new DesiredStateCorruptError(path, reason, { cause: err });
    }
    if (set.part !== undefined) throw new DesiredStateCorruptError(path, 'it holds one part of a split set, not a whole set');
    if (set.node !== opts.nodeName) {
      log.warn({ path, storedFor: set.node }, 'stored desired state is for another node: ignoring it');
      return undefined;
    }
    if (!file.sealed) log.info({ path }, 'the stored desired set has no checksum (an older agent wrote it); it is sealed when the next set is stored');
    current = set;
    parts.settled(set.generation);
    return set;
  }

  async function loadOrDiscard(): Promise<DesiredSet | undefined> {
    try {
      return await load();
    } catch (err) {
      if (!(err instanceof DesiredStateCorruptError)) throw err;
      const aside = `${path}.corrupt`;
      log.error({ err, movedTo: aside }, 'stored desired state is corrupt: moving it aside; no container is touched until the hub sends a new one');
      await moveAside(path);
      return undefined;
    }
  }

  /** A decoded message, whole or put together from its parts; undefined when there is nothing (yet) to store. */
  function wholeSet(topic: string, payload: Buffer | string): DesiredSetMessage | undefined {
    // the hub clears a part topic it no longer uses with an empty retained message
    if (payload.length === 0) return undefined;
    let message: DesiredSetMessage;
    try {
      message = decodeMessage(desiredSetMessageSchema, topic, payload);
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed desired set');
      return undefined;
    }
    if (message.node !== opts.nodeName) {
      log.warn({ topic, for: message.node }, 'dropping a desired set meant for another node');
      return undefined;
    }
    const parsed = parseTopic(topic);
    if ((parsed?.kind === 'node' ? (parsed.part ?? 0) : 0) !== (message.part ?? 0)) {
      log.warn({ topic, part: message.part }, 'dropping a desired set part that came on the topic of another part');
      return undefined;
    }
    if (message.part === undefined) return message;
    opts.onParts?.(message.parts!);
    const outcome = parts.add(message);
    if (outcome.kind === 'dropped') log.info({ topic, generation: message.generation, reason: outcome.reason }, 'desired set part dropped');
    else if (outcome.kind === 'waiting') log.debug({ generation: outcome.generation, parts: outcome.parts, missing: outcome.missing }, 'desired set part kept; waiting for the others');
    else {
      log.info({ generation: message.generation, parts: message.parts }, 'desired set put together from its parts');
      return outcome.set;
    }
    return undefined;
  }

  async function accept(topic: string, payload: Buffer | string): Promise<DesiredSet | undefined> {
    const message = wholeSet(topic, payload);
    if (!message) return undefined;
    let set: DesiredSet;
    try {
      set = withNamedPods(message);
    } catch (err) {
      log.warn({ err, topic }, 'dropping a malformed desired set');
      return undefined;
    }
    if (current && set.generation < current.generation) {
      log.info({ generation: set.generation, current: current.generation }, 'ignoring an older desired set');
      return undefined;
    }
    if (current && set.generation === current.generation && sameContent(set, current)) return undefined;
    await writeFileDurable(path, sealStateFile(JSON.stringify(set)), { mode: 0o600 });
    current = set;
    parts.settled(set.generation);
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

/** Same pods, config and volumes: both sides are decoded JSON, so key order and absent keys compare as in JSON. */
function sameContent(a: DesiredSet, b: DesiredSet): boolean {
  return isDeepStrictEqual(a.pods, b.pods) && isDeepStrictEqual(a.config, b.config) && isDeepStrictEqual(a.volumes ?? [], b.volumes ?? []);
}

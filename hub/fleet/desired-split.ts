/**
 * A node's desired set too large for one MQTT message (the agents' MAX_PAYLOAD_BYTES, 4 MiB) is split
 * into parts of one generation (protocol/messages.ts): each part carries some of the pods and the
 * ConfigMaps/Secrets those pods use (a config used by pods of two parts goes in both; the agent keeps it
 * once), each part fits in one message, and the agent applies the set only when every part is in. A pod
 * that does not fit in a message even alone (with its config) cannot be delivered: it is left out and
 * named, for the publisher to report. Pure.
 */
import type { ConfigData, DesiredSetMessage } from '../../protocol/messages.js';
import { MAX_DESIRED_SET_PARTS } from '../../protocol/topics.js';
import type { Pod } from '../../protocol/objects/pod.js';

type SetPod = DesiredSetMessage['pods'][number];
import { configRefKey, podConfigRefs } from './desired-config.js';

/** Room kept in each part for the envelope and the part fields. */
const HEADER_SLACK_BYTES = 4096;

export interface SplitResult {
  /** The messages to publish: one (no part fields) when the set fits, else parts 0..n-1. */
  messages: DesiredSetMessage[];
  /** Pods left out because even alone they are over the limit, with their size. */
  undeliverable: { pod: SetPod; bytes: number }[];
  /** Set when the set needs more than MAX_DESIRED_SET_PARTS parts: nothing of it can go out. */
  tooManyParts?: number;
}

const bytesOf = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');
const configKey = (c: ConfigData): string => configRefKey({ kind: c.kind, namespace: c.namespace, name: c.name });

export function splitDesiredSet(set: DesiredSetMessage, limitBytes: number): SplitResult {
  if (bytesOf(set) <= limitBytes) return { messages: [set], undeliverable: [] };
  const budget = limitBytes - HEADER_SLACK_BYTES;
  const configByKey = new Map(set.config.map((c) => [configKey(c), c]));
  const configBytes = new Map(set.config.map((c) => [configKey(c), bytesOf(c) + 1]));
  const groups: { pods: SetPod[]; config: Set<string>; bytes: number }[] = [];
  const undeliverable: SplitResult['undeliverable'] = [];
  let current: (typeof groups)[number] | undefined;
  for (const pod of set.pods) {
    const podBytes = bytesOf(pod) + 1;
    const refs = podConfigRefs(pod as Pod).map(configRefKey).filter((k) => configByKey.has(k));
    const alone = podBytes + refs.reduce((n, k) => n + configBytes.get(k)!, 0);
    if (alone > budget) {
      undeliverable.push({ pod, bytes: alone });
      continue;
    }
    const added = current ? podBytes + refs.filter((k) => !current!.config.has(k)).reduce((n, k) => n + configBytes.get(k)!, 0) : alone;
    if (!current || current.bytes + added > budget) {
      current = { pods: [], config: new Set(), bytes: 0 };
      groups.push(current);
    }
    current.pods.push(pod);
    for (const k of refs) {
      if (!current.config.has(k)) {
        current.config.add(k);
        current.bytes += configBytes.get(k)!;
      }
    }
    current.bytes += podBytes;
  }
  if (groups.length === 0) groups.push({ pods: [], config: new Set(), bytes: 0 });
  if (groups.length === 1) {
    const [only] = groups;
    return { messages: [{ ...set, pods: only!.pods, config: [...only!.config].map((k) => configByKey.get(k)!) }], undeliverable };
  }
  if (groups.length > MAX_DESIRED_SET_PARTS) return { messages: [], undeliverable, tooManyParts: groups.length };
  return {
    messages: groups.map((g, part) => ({ ...set, part, parts: groups.length, pods: g.pods, config: [...g.config].map((k) => configByKey.get(k)!) })),
    undeliverable,
  };
}

/**
 * Putting a split desired set back together. A set too large for one MQTT message comes as `parts`
 * messages of one generation (protocol/messages.ts: part 0 on nodes/N/desired, part K on nodes/N/desired/K),
 * each carrying some of the pods and some of the ConfigMaps/Secrets. Nothing of a generation is used until
 * every one of its parts is in: a node never runs half a set. Parts may come in any order (retained messages
 * on several topics, delivered as the agent subscribes to them); parts older than the set in use are dropped,
 * and at most KEPT_INCOMPLETE_GENERATIONS incomplete generations are kept (the oldest goes). Pure: the store
 * (desired-state-store.ts) feeds it.
 */
import type { DesiredSetMessage } from '../../protocol/messages.js';

/** Generations whose parts are kept while incomplete (a newer one pushes out the oldest). */
export const KEPT_INCOMPLETE_GENERATIONS = 3;

export type PartOutcome =
  /** Every part of the generation is in: the whole set (without part/parts). */
  | { kind: 'complete'; set: DesiredSetMessage }
  /** Kept; `missing` parts of the generation are still to come. */
  | { kind: 'waiting'; generation: number; parts: number; missing: number }
  /** Not kept: older than the set in use or than every incomplete generation kept, or parts that disagree. */
  | { kind: 'dropped'; reason: string };

export interface DesiredPartsAssembler {
  /** One part (a message with part/parts). */
  add(part: DesiredSetMessage): PartOutcome;
  /** A generation is in use (whole or put together): parts of older ones are dropped, and no longer kept. */
  settled(generation: number): void;
  /** Generations with parts waiting (tests, logs). */
  waiting(): number[];
}

export function createDesiredPartsAssembler(): DesiredPartsAssembler {
  /** generation -> parts by number */
  const pending = new Map<number, Map<number, DesiredSetMessage>>();
  let settledGeneration = -1;

  function dropOlderThan(generation: number): void {
    for (const g of [...pending.keys()]) if (g < generation) pending.delete(g);
  }

  return {
    add(message) {
      const { generation, part, parts } = message;
      if (part === undefined || parts === undefined) return { kind: 'dropped', reason: 'not a part of a split desired set' };
      if (generation < settledGeneration) return { kind: 'dropped', reason: `generation ${generation} is older than the set in use (${settledGeneration})` };
      let got = pending.get(generation);
      if (!got) {
        const kept = [...pending.keys()].sort((a, b) => a - b);
        if (kept.length >= KEPT_INCOMPLETE_GENERATIONS && generation < kept[0]!) {
          return { kind: 'dropped', reason: `generation ${generation} is older than every incomplete one kept` };
        }
        got = new Map();
        pending.set(generation, got);
        while (pending.size > KEPT_INCOMPLETE_GENERATIONS) pending.delete(Math.min(...pending.keys()));
      }
      const other = got.values().next().value;
      if (other && (other.parts !== parts || other.node !== message.node)) {
        pending.delete(generation);
        return { kind: 'dropped', reason: `the parts of generation ${generation} disagree (parts ${other.parts} and ${parts}): waiting for the hub to send it again` };
      }
      got.set(part, message);
      if (got.size < parts) return { kind: 'waiting', generation, parts, missing: parts - got.size };
      pending.delete(generation);
      const ordered = [...got.entries()].sort(([a], [b]) => a - b).map(([, m]) => m);
      const first = ordered[0]!;
      const { part: _part, parts: _parts, ...header } = first;
      const seen = new Set<string>();
      const config = ordered.flatMap((m) => m.config).filter((c) => {
        const key = `${c.kind}/${c.namespace}/${c.name}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return { kind: 'complete', set: { ...header, pods: ordered.flatMap((m) => m.pods), config } };
    },
    settled(generation) {
      settledGeneration = Math.max(settledGeneration, generation);
      dropOlderThan(generation);
    },
    waiting: () => [...pending.keys()].sort((a, b) => a - b),
  };
}

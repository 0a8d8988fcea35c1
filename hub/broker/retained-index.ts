/**
 * The broker's retained messages, indexed by topic level (a trie), so that finding what a SUBSCRIBE
 * must be sent costs what the filter names, not what the broker holds. aedes' memory persistence
 * keeps them in one Map and tests every topic against every filter: O(retained) per subscription,
 * O(N^2) for a fleet of N nodes (re)connecting, each with its retained desired set and presence.
 *
 * - A filter without wildcards is one Map lookup.
 * - A filter with wildcards walks the trie: literal levels descend, `+` tries every child of that
 *   level, `#` takes the subtree. Each candidate is then tested with qlobber, the matcher aedes'
 *   memory persistence uses, so what matches is exactly what aedes would have sent (qlobber's `+`
 *   does not match an empty level, its `#` matches zero levels, and `$` topics are not special).
 */
import qlobber from 'qlobber';

const QLOBBER_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' } as const;

interface TrieNode<P> {
  children: Map<string, TrieNode<P>>;
  packet?: P;
}

/** What a retained message needs here: its topic. */
export interface RetainedPacket {
  topic: string;
}

export const hasWildcard = (filter: string): boolean => filter.includes('+') || filter.includes('#');

export class RetainedIndex<P extends RetainedPacket> {
  private readonly byTopic = new Map<string, P>();
  private readonly root: TrieNode<P> = { children: new Map() };
  /** Retained messages looked at by `match` since the index was made (a cost counter for tests and metrics). */
  visited = 0;

  get size(): number {
    return this.byTopic.size;
  }

  get(topic: string): P | undefined {
    return this.byTopic.get(topic);
  }

  set(packet: P): void {
    this.byTopic.set(packet.topic, packet);
    let node = this.root;
    for (const level of packet.topic.split('/')) {
      let child = node.children.get(level);
      if (!child) node.children.set(level, (child = { children: new Map() }));
      node = child;
    }
    node.packet = packet;
  }

  delete(topic: string): boolean {
    if (!this.byTopic.delete(topic)) return false;
    // walk down, remembering the path, then prune the levels left empty
    const path: Array<[TrieNode<P>, string]> = [];
    let node = this.root;
    for (const level of topic.split('/')) {
      const child = node.children.get(level);
      if (!child) return true;
      path.push([node, level]);
      node = child;
    }
    delete node.packet;
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i]!;
      const child = parent.children.get(level)!;
      if (child.packet !== undefined || child.children.size > 0) break;
      parent.children.delete(level);
    }
    return true;
  }

  /** The retained messages a subscription to `filter` receives, as aedes' memory persistence decides. */
  *match(filter: string): Generator<P> {
    if (!hasWildcard(filter)) {
      const packet = this.byTopic.get(filter);
      if (packet) {
        this.visited++;
        yield packet;
      }
      return;
    }
    const matcher = new qlobber.QlobberTrue(QLOBBER_OPTIONS);
    matcher.add(filter);
    for (const packet of this.candidates(this.root, filter.split('/'), 0)) {
      this.visited++;
      if (matcher.test(packet.topic)) yield packet;
    }
  }

  /** Every packet that could match levels[i..] below `node` (a superset; `match` tests each). */
  private *candidates(node: TrieNode<P>, levels: readonly string[], i: number): Generator<P> {
    if (i === levels.length) {
      if (node.packet) yield node.packet;
      return;
    }
    const level = levels[i]!;
    if (level === '#') {
      yield* this.subtree(node);
    } else if (level === '+') {
      for (const child of node.children.values()) yield* this.candidates(child, levels, i + 1);
    } else {
      const child = node.children.get(level);
      if (child) yield* this.candidates(child, levels, i + 1);
    }
  }

  private *subtree(node: TrieNode<P>): Generator<P> {
    if (node.packet) yield node.packet;
    for (const child of node.children.values()) yield* this.subtree(child);
  }
}

import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../protocol/index.js';
import { decodeMessage, desiredSetMessageSchema } from '../../../protocol/messages.js';
import type { Broker } from '../../../hub/broker/broker.js';
import { createDesiredPublisher, type DesiredPublisher } from '../../../hub/fleet/desired-publisher.js';
import { tempStore } from '../controllers/temp-store.js';
import { node } from '../controllers/workload-support.js';

/** A broker that records publishes and holds those for `hold` until released. */
function recordingBroker(hold: string) {
  const published: string[] = [];
  let inFlight = 0;
  let most = 0;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const broker = {
    async publish(topic: string, payload: Buffer | string) {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((r) => setImmediate(r));
        if (topic.includes(`/${hold}/`)) await held;
        const msg = decodeMessage(desiredSetMessageSchema, topic, payload);
        published.push(`${topic} ${msg.type} ${msg.node}`);
      } finally {
        inFlight--;
      }
    },
  } as unknown as Broker;
  return { broker, published, release, most: () => most };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

describe('desired publisher', () => {
  it('publishes a flush of many nodes at most `concurrency` at once; a node whose publish hangs holds up nobody else', async () => {
    const t = await tempStore('drover-desired-');
    cleanup.push(t.dispose);
    for (let i = 0; i < 40; i++) await t.store.create(node(`n${String(i).padStart(2, '0')}`));
    await t.cache.waitFor(await t.store.revision());
    const b = recordingBroker('n00');
    const publisher: DesiredPublisher = createDesiredPublisher({ cache: t.cache, broker: b.broker, logger: silentLogger(), clock: Date.now, concurrency: 8 });
    cleanup.push(() => publisher.stop());
    cleanup.push(async () => b.release());
    const started = publisher.start();
    // every node but the one held gets its set while n00's publish has not returned
    for (let i = 0; i < 100 && b.published.length < 39; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.published).toHaveLength(39);
    expect(b.published.some((p) => p.includes('/n00/'))).toBe(false);
    b.release();
    await started;
    expect(b.published).toHaveLength(40);
    expect(b.published.every((p) => /^drover\/v1\/nodes\/(n\d\d)\/desired desiredSet \1$/.test(p))).toBe(true);
    expect(b.most()).toBe(8);
  });
});

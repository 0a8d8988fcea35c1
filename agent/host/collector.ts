/**
 * Runs every fingerprinter on its own period and keeps the latest value of each. A failing
 * fingerprinter keeps its previous value; its error is logged once per distinct message.
 */
import type { Logger } from '../../protocol/logger.js';
import type { ContainerRuntime } from '../../runtime-adapters/runtime.js';
import { createCpuFingerprinter, type CpuFacts } from './cpu.js';
import { createDiskFingerprinter, type DiskFacts } from './disk.js';
import type { Fingerprinter } from './fingerprinter.js';
import { createHostFingerprinter, type HostFacts } from './machine.js';
import { createMemoryFingerprinter, type MemoryFacts } from './memory.js';
import { createNetworkFingerprinter, type NetworkFacts } from './network.js';
import { createRuntimeFingerprinter, type RuntimeFacts } from './container-runtime.js';

export interface NodeFacts {
  cpu?: CpuFacts;
  memory?: MemoryFacts;
  disk?: DiskFacts;
  host?: HostFacts;
  network?: NetworkFacts;
  runtime?: RuntimeFacts;
}

type Fingerprinters = { [K in keyof NodeFacts]-?: Fingerprinter<NonNullable<NodeFacts[K]>> };

export interface FactsCollector {
  /** Collect every fact once (failures are logged, not thrown), then keep refreshing on each period. */
  start(): Promise<void>;
  stop(): void;
  facts(): NodeFacts;
  /** Collect every fact now. */
  refresh(): Promise<void>;
}

export function defaultFingerprinters(opts: { dataDir: string; runtime: ContainerRuntime }): Fingerprinters {
  return {
    cpu: createCpuFingerprinter(),
    memory: createMemoryFingerprinter(),
    disk: createDiskFingerprinter({ dataDir: opts.dataDir }),
    host: createHostFingerprinter(),
    network: createNetworkFingerprinter(),
    runtime: createRuntimeFingerprinter({ runtime: opts.runtime }),
  };
}

export function createFactsCollector(opts: { fingerprinters: Fingerprinters; logger: Logger }): FactsCollector {
  const log = opts.logger.child({ component: 'fingerprint' });
  const facts: NodeFacts = {};
  const lastError = new Map<string, string>();
  const timers: NodeJS.Timeout[] = [];
  const entries = Object.entries(opts.fingerprinters) as [keyof NodeFacts, Fingerprinter<unknown>][];

  async function collectOne(key: keyof NodeFacts, fp: Fingerprinter<unknown>): Promise<void> {
    try {
      (facts as Record<string, unknown>)[key] = await fp.collect();
      if (lastError.has(fp.name)) log.info({ fact: fp.name }, 'fingerprint works again');
      lastError.delete(fp.name);
    } catch (err) {
      const message = (err as Error).message;
      if (lastError.get(fp.name) !== message) log.warn({ err, fact: fp.name }, 'fingerprint failed; keeping the previous value');
      lastError.set(fp.name, message);
    }
  }

  const refresh = async (): Promise<void> => {
    await Promise.all(entries.map(([key, fp]) => collectOne(key, fp)));
  };

  return {
    async start() {
      await refresh();
      for (const [key, fp] of entries) {
        const t = setInterval(() => void collectOne(key, fp), fp.periodMs);
        t.unref?.();
        timers.push(t);
      }
    },
    stop() {
      for (const t of timers.splice(0)) clearInterval(t);
    },
    facts: () => facts,
    refresh,
  };
}

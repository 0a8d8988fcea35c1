/** A real hub slice for fleet tests: SQLite store in a temp dir, aedes broker on 127.0.0.1:0, the fleet. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createBroker, type Broker, type BrokerAuth } from '../../../hub/broker/index.js';
import { createFleet, type Fleet, type FleetAuth, type FleetOptions } from '../../../hub/fleet/index.js';
import { createAuthService, type AuthService } from '../../../hub/auth/index.js';
import { createSqliteStore } from '../../../hub/store/sqlite-store.js';
import type { Store } from '../../../hub/store/store.js';
import { createNodeLeases, type NodeLeases } from '../../../hub/leases/index.js';
import { createObjectCache, type ObjectCache } from '../../../hub/cache/object-cache.js';
import { createNodeHealth, type NodeHealth, type NodeHealthOptions } from '../../../hub/controllers/node-lifecycle/node-health.js';
import { encodeMessage, type AnyMessage } from '../../../protocol/messages.js';
import { pino } from 'pino';
import { connect } from '../broker/helpers.js';

export type HarnessAuth = BrokerAuth & FleetAuth & { addJoinToken(token: string, singleUse?: boolean): string };

/** In-memory auth with the AuthService's semantics (single-use tokens, node credentials). */
export function createTestAuth(): HarnessAuth {
  const tokens = new Map<string, { id: string; singleUse: boolean; used: boolean }>();
  const passwords = new Map<string, string>();
  let n = 0;
  return {
    addJoinToken(token, singleUse = false) {
      const id = `tok${++n}`;
      tokens.set(token, { id, singleUse, used: false });
      return id;
    },
    async verifyJoinToken(token) {
      const t = tokens.get(token);
      if (!t) return { ok: false, reason: 'unknown' };
      if (t.singleUse && t.used) return { ok: false, reason: 'used' };
      return { ok: true, id: t.id };
    },
    async consumeJoinToken(id) {
      for (const t of tokens.values()) if (t.id === id) t.used = true;
    },
    async issueNodeCredential(nodeName) {
      const password = `pw-${nodeName}-${++n}`;
      passwords.set(nodeName, password);
      return { username: `node:${nodeName}`, password };
    },
    async verifyNodeCredential(username, password) {
      const name = username.replace(/^node:/, '');
      return passwords.get(name) === password ? name : undefined;
    },
  };
}

export interface Harness {
  dir: string;
  store: Store;
  broker: Broker;
  fleet: Fleet;
  /** The node leases the fleet renews, and the node health monitor reading them (as hub.ts wires them). */
  leases: NodeLeases;
  cache: ObjectCache;
  health: NodeHealth;
  auth: HarnessAuth;
  /** The real AuthService when started with `realAuth`. */
  authService?: AuthService;
  port: number;
  clock: { now: number; advance(ms: number): void; fn: () => number };
  clients: MqttClient[];
  /** Every log line the hub wrote (level debug and up), parsed. */
  logs: Array<Record<string, unknown> & { msg?: string; level: number }>;
  /** Stop the fleet and broker, keep the store file (for restart tests). */
  stopHub(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(
  options: { dir?: string; auth?: HarnessAuth; realAuth?: boolean; fleet?: Partial<FleetOptions>; health?: Partial<NodeHealthOptions>; port?: number } = {},
): Promise<Harness> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'drover-fleet-')));
  const clock = {
    now: Date.parse('2026-03-01T12:00:00.000Z'),
    advance(ms: number) {
      clock.now += ms;
    },
    fn: () => clock.now,
  };
  const logs: Harness['logs'] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
  const store = await createSqliteStore({ path: join(dir, 'state.db'), logger, clock: clock.fn });
  const authService = options.realAuth ? createAuthService({ store, logger, clock: clock.fn }) : undefined;
  const auth: HarnessAuth = authService
    ? Object.assign(authService, {
        addJoinToken(): string {
          throw new Error('with the real AuthService, use authService.createJoinToken()');
        },
      })
    : (options.auth ?? createTestAuth());
  const broker = await createBroker({ auth, logger });
  // a fixed port lets a test restart the hub where its clients will reconnect
  const { port } = await broker.listen('127.0.0.1', options.port ?? 0);
  const leases = createNodeLeases();
  const cache = createObjectCache({ store, logger });
  await cache.start();
  const fleet = await createFleet({ store, broker, auth, leases, cache, logger, clock: clock.fn, desiredCoalesceMs: 10, ...options.fleet });
  await fleet.start();
  // a long interval unless asked: tests call health.check() themselves
  const health = createNodeHealth({ store, cache, leases, logger, clock: clock.fn, intervalMs: 60_000, ...options.health });
  await health.start();
  const clients: MqttClient[] = [];
  let hubStopped = false;
  const stopHub = async () => {
    if (hubStopped) return;
    hubStopped = true;
    await Promise.all(clients.splice(0).map((c) => c.endAsync(true)));
    await health.stop();
    await fleet.stop();
    cache.stop();
    await broker.close();
    authService?.close();
  };
  return {
    dir, store, broker, fleet, leases, cache, health, auth, authService, port, clock, clients, logs, stopHub,
    async close() {
      await stopHub();
      await store.close();
      if (!options.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function connectTracked(h: Harness, opts: Parameters<typeof connect>[1]): Promise<MqttClient> {
  const c = await connect(h.port, opts);
  h.clients.push(c);
  return c;
}

export function send(client: MqttClient, topic: string, message: AnyMessage | string): Promise<unknown> {
  return client.publishAsync(topic, typeof message === 'string' ? message : encodeMessage(message), { qos: 1 });
}

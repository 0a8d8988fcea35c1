/** Helpers for broker and fleet tests: a stub BrokerAuth and small MQTT client utilities. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { BrokerAuth } from '../../../hub/broker/index.js';

export interface StubAuth extends BrokerAuth {
  tokens: Map<string, string>;
  nodePasswords: Map<string, string>;
}

/** tokens: token -> id; nodePasswords: node name -> password. */
export function createStubAuth(): StubAuth {
  const tokens = new Map<string, string>();
  const nodePasswords = new Map<string, string>();
  return {
    tokens,
    nodePasswords,
    async verifyJoinToken(token) {
      const id = tokens.get(token);
      return id ? { ok: true, id } : { ok: false, reason: 'unknown token' };
    },
    async verifyNodeCredential(username, password) {
      const name = username.replace(/^node:/, '');
      return nodePasswords.get(name) === password ? name : undefined;
    },
  };
}

export async function connect(port: number, options: IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
}

/** Connect and expect a refusal; returns the CONNACK return code the client saw. */
export async function connectRefused(port: number, options: IClientOptions): Promise<number | undefined> {
  try {
    const client = await connect(port, options);
    await client.endAsync(true);
  } catch (err) {
    return (err as { code?: number }).code;
  }
  throw new Error('connect unexpectedly succeeded');
}

/** Collect every message a client receives. */
export function collect(client: MqttClient): Array<{ topic: string; payload: string; retain: boolean }> {
  const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
  client.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), retain: packet.retain }));
  return got;
}

/** Wait until the client's connection is closed (by the broker). */
export function waitClosed(client: MqttClient, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!client.connected) return resolve();
    const timer = setTimeout(() => reject(new Error('client was not disconnected')), timeoutMs);
    client.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn returns a truthy value. */
export async function eventually<T>(fn: () => T | Promise<T>, timeoutMs = 5000, stepMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(stepMs);
  }
}

/** Subscribe and return the granted QoS per filter (128 = refused); MQTT.js rejects when any is 128. */
export async function subscribeGrants(client: MqttClient, filters: string[], qos: 0 | 1 = 0): Promise<number[]> {
  try {
    const grants = await client.subscribeAsync(filters, { qos });
    return grants.map((g) => g.qos);
  } catch (err) {
    const granted = (err as { packet?: { granted?: Array<number | { reasonCode?: number }> } }).packet?.granted;
    if (!granted) throw err;
    return granted.map((g) => (typeof g === 'number' ? g : (g.reasonCode ?? -1)));
  }
}

function mqttString(s: string): Buffer {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
}

function mqttPacket(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}

/** An MQTT 3.1.1 CONNECT (clean session, no keepalive) with a username and password, encoded by hand. */
export function rawConnect(clientId: string, username: string, password: string): Buffer {
  const header = Buffer.concat([mqttString('MQTT'), Buffer.from([0x04, 0xc2, 0x00, 0x00])]);
  return mqttPacket(0x10, Buffer.concat([header, mqttString(clientId), mqttString(username), mqttString(password)]));
}

/** An MQTT SUBSCRIBE of one filter. */
export function rawSubscribe(filter: string, qos: 0 | 1, packetId = 1): Buffer {
  return mqttPacket(0x82, Buffer.concat([Buffer.from([packetId >> 8, packetId & 0xff]), mqttString(filter), Buffer.from([qos])]));
}

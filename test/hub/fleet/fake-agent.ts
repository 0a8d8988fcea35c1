/** A fake agent for node-command tests: a real MQTT client with node credentials that answers commands. */
import type { MqttClient } from 'mqtt';
import { commandMessageSchema, decodeMessage, encodeMessage, type CommandMessage, type ReplyMessage } from '../../../protocol/messages.js';
import { topics } from '../../../protocol/topics.js';
import { connectTracked, type Harness } from './harness.js';

export interface FakeAgent {
  client: MqttClient;
  /** Every command received, in order. */
  received: CommandMessage[];
}

/** Connect as node `node`; answer each command with `answer(cmd)` merged into an ok reply (undefined = stay silent). */
export async function startFakeAgent(h: Harness, node: string, answer: (cmd: CommandMessage) => Partial<ReplyMessage> | undefined): Promise<FakeAgent> {
  const { password } = await h.auth.issueNodeCredential(node);
  const client = await connectTracked(h, { username: `node:${node}`, password, clientId: `node-${node}` });
  const received: CommandMessage[] = [];
  client.on('message', (topic, payload) => {
    const cmd = decodeMessage(commandMessageSchema, topic, payload);
    received.push(cmd);
    const body = answer(cmd);
    if (!body) return;
    const reply: ReplyMessage = { v: 1, type: 'reply', sentAt: new Date().toISOString(), requestId: cmd.requestId, ok: true, ...body };
    // the hub may have the reply (and the test may be over, closing this client) before the PUBACK comes
    client.publishAsync(topics.nodeReply(node, cmd.requestId), encodeMessage(reply), { qos: 1 }).catch((err: Error) => {
      if (err.message !== 'Connection closed') throw err;
    });
  });
  await client.subscribeAsync(topics.nodeCmd(node), { qos: 0 });
  return { client, received };
}

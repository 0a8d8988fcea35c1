/** Node commands over a real aedes broker, with a fake agent (a real MQTT client with node credentials) answering. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CommandFailedError,
  CommandTimeoutError,
  createNodeCommands,
  NodeCommandsStoppedError,
  NodeNotConnectedError,
  type NodeCommandsService,
} from '../../../hub/fleet/index.js';
import { encodeMessage, type ReplyMessage } from '../../../protocol/messages.js';
import { pino } from 'pino';
import { topics } from '../../../protocol/topics.js';
import { startFakeAgent } from './fake-agent.js';
import { startHarness, type Harness } from './harness.js';

describe('node commands', () => {
  let h: Harness;
  let commands: NodeCommandsService;
  let logs: Array<{ msg?: string }>;

  beforeEach(async () => {
    h = await startHarness();
    logs = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg?: string }) });
    commands = createNodeCommands({ broker: h.broker, logger, replyTimeoutMs: 400 });
    commands.start();
  });
  afterEach(async () => {
    commands.stop();
    await h.close();
  });

  it('sends logs on the node cmd topic and returns the reply output', async () => {
    const agent = await startFakeAgent(h, 'cw-nc1', (cmd) => ({ output: cmd.command === 'logs' ? `logs of ${cmd.namespace}/${cmd.pod}/${cmd.container ?? '-'}\n` : '' }));
    const out = await commands.logs({ node: 'cw-nc1', namespace: 'default', pod: 'web', container: 'main', tailLines: 5 });
    expect(out).toBe('logs of default/web/main\n');
    expect(agent.received).toHaveLength(1);
    expect(agent.received[0]).toMatchObject({ command: 'logs', namespace: 'default', pod: 'web', container: 'main', tailLines: 5 });
    expect(commands.pendingCount()).toBe(0);
  });

  it('execs and returns output and exit code; concurrent requests get their own replies', async () => {
    await startFakeAgent(h, 'cw-nc2', (cmd) => (cmd.command === 'exec' ? { output: cmd.argv.join(' '), exitCode: cmd.argv.length } : undefined));
    const [a, b] = await Promise.all([
      commands.exec({ node: 'cw-nc2', namespace: 'default', pod: 'p', argv: ['echo', 'a'], timeoutSeconds: 1 }),
      commands.exec({ node: 'cw-nc2', namespace: 'default', pod: 'p', argv: ['cat', 'x', 'y'], timeoutSeconds: 1 }),
    ]);
    expect(a).toEqual({ output: 'echo a', exitCode: 2 });
    expect(b).toEqual({ output: 'cat x y', exitCode: 3 });
  });

  it('fails with the agent reason when it answers ok: false', async () => {
    await startFakeAgent(h, 'cw-nc3', () => ({ ok: false, error: 'container nope is not valid for pod web' }));
    const err = await commands.logs({ node: 'cw-nc3', namespace: 'default', pod: 'web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as Error).message).toBe('container nope is not valid for pod web');
  });

  it('refuses a node that is not connected without sending anything', async () => {
    const err = await commands.logs({ node: 'cw-nc-absent', namespace: 'default', pod: 'web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeNotConnectedError);
    expect((err as NodeNotConnectedError).code).toBe('EFLEET_NODE_NOT_CONNECTED');
    expect(commands.pendingCount()).toBe(0);
  });

  it('times out when the agent stays silent, and drops the late reply', async () => {
    const agent = await startFakeAgent(h, 'cw-nc4', () => undefined);
    const err = await commands.logs({ node: 'cw-nc4', namespace: 'default', pod: 'web' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandTimeoutError);
    expect((err as Error).message).toContain('node "cw-nc4" did not answer the logs command');
    expect(commands.pendingCount()).toBe(0);
    // a late answer is dropped (logged), nothing breaks
    const late: ReplyMessage = { v: 1, type: 'reply', sentAt: new Date().toISOString(), requestId: agent.received[0]!.requestId, ok: true, output: 'late' };
    await agent.client.publishAsync(topics.nodeReply('cw-nc4', late.requestId), encodeMessage(late), { qos: 1 });
    await expect.poll(() => logs.some((l) => l.msg?.includes('reply to no waiting request'))).toBe(true);
  });

  it('ignores a reply from another node than the one asked', async () => {
    const asked = await startFakeAgent(h, 'cw-nc5', () => undefined);
    const other = await startFakeAgent(h, 'cw-nc6', () => undefined);
    const pending = commands.logs({ node: 'cw-nc5', namespace: 'default', pod: 'web' }).catch((e: unknown) => e);
    await expect.poll(() => asked.received.length).toBe(1);
    const forged: ReplyMessage = { v: 1, type: 'reply', sentAt: new Date().toISOString(), requestId: asked.received[0]!.requestId, ok: true, output: 'forged' };
    await other.client.publishAsync(topics.nodeReply('cw-nc6', forged.requestId), encodeMessage(forged), { qos: 1 });
    expect(await pending).toBeInstanceOf(CommandTimeoutError);
  });

  it('stop fails waiting requests and refuses new ones', async () => {
    await startFakeAgent(h, 'cw-nc7', () => undefined);
    const pending = commands.logs({ node: 'cw-nc7', namespace: 'default', pod: 'web' }).catch((e: unknown) => e);
    await expect.poll(() => commands.pendingCount()).toBe(1);
    commands.stop();
    expect(await pending).toBeInstanceOf(NodeCommandsStoppedError);
    await expect(commands.logs({ node: 'cw-nc7', namespace: 'default', pod: 'web' })).rejects.toBeInstanceOf(NodeCommandsStoppedError);
  });
});

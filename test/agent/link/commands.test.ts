import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandHandler, truncateOutput, type CommandHandler } from '../../../agent/link/commands.js';
import { toContainerSpec } from '../../../agent/pods/pod-runtime.js';
import { keepPreviousLog } from '../../../agent/previous-logs.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { ReplyMessage } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { topics } from '../../../protocol/topics.js';
import { createFakeRuntime, type FakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import { desiredSet, makePod, NODE, tempDir, TEST_IMAGE } from '../helpers.js';

describe('command handler', () => {
  let runtime: FakeRuntime;
  let replies: { topic: string; message: ReplyMessage }[];
  let handler: CommandHandler;
  let pods: Pod[];

  const two = makePod('two', { containers: [{ name: 'a', image: TEST_IMAGE }, { name: 'b', image: TEST_IMAGE }] });
  const one = makePod('one', { containers: [{ name: 'main', image: TEST_IMAGE, args: ['fake', 'exit', '0', 'l1', 'l2', 'l3'] }] });

  async function run(pod: Pod): Promise<string[]> {
    const ids: string[] = [];
    for (const c of pod.spec.containers) {
      const id = await runtime.create(toContainerSpec(pod, c, { nodeName: NODE, dataDir: '/tmp/x' }));
      await runtime.start(id);
      ids.push(id);
    }
    return ids;
  }
  const send = (cmd: Record<string, unknown>) =>
    handler.handle(topics.nodeCmd(NODE), JSON.stringify({ v: 1, type: 'command', sentAt: 'now', namespace: 'default', ...cmd }));
  const reply = (id: string) => replies.find((r) => r.message.requestId === id);

  beforeEach(async () => {
    runtime = createFakeRuntime();
    replies = [];
    pods = [two, one];
    handler = createCommandHandler({
      nodeName: NODE,
      runtime,
      desired: () => desiredSet(1, pods),
      publish: async (topic, message) => void replies.push({ topic, message }),
      logger: silentLogger(),
    });
    await run(two);
    await run(one);
    await new Promise((r) => setTimeout(r, 50)); // let `one` print and exit
  });
  afterEach(async () => runtime.close());

  it('returns logs with tailLines on the reply topic', async () => {
    await send({ command: 'logs', requestId: 'r1', pod: 'one', tailLines: 2 });
    expect(reply('r1')?.topic).toBe(topics.nodeReply(NODE, 'r1'));
    expect(reply('r1')?.message).toMatchObject({ ok: true, output: 'l2\nl3\n' });
  });

  it('execs in the named container, and asks for a name when the pod has several', async () => {
    await send({ command: 'exec', requestId: 'r2', pod: 'two', container: 'b', argv: ['fake-exec', 'o', 'e', '7'] });
    expect(reply('r2')?.message).toMatchObject({ ok: true, exitCode: 7, output: 'o\ne\n' });
    await send({ command: 'exec', requestId: 'r3', pod: 'two', argv: ['true'] });
    expect(reply('r3')?.message).toMatchObject({ ok: false, error: 'a container name must be specified for pod two, choose one of: [a b]' });
    await send({ command: 'exec', requestId: 'r4', pod: 'two', container: 'zz', argv: ['true'] });
    expect(reply('r4')?.message.error).toContain('container zz is not valid for pod two');
  });

  it('refuses exec in an exited container, an unknown pod, and previous logs, with clear errors', async () => {
    await send({ command: 'exec', requestId: 'r5', pod: 'one', argv: ['true'] });
    expect(reply('r5')?.message).toMatchObject({ ok: false });
    expect(reply('r5')?.message.error).toContain('not running');
    await send({ command: 'logs', requestId: 'r6', pod: 'ghost' });
    expect(reply('r6')?.message).toMatchObject({ ok: false, error: 'pod default/ghost is not on this node' });
    await send({ command: 'logs', requestId: 'r7', pod: 'one', previous: true });
    expect(reply('r7')?.message).toMatchObject({ ok: false, error: 'previous terminated container "main" in pod "one" not found' });
  });

  it('answers previous logs from the kept log of the previous instance, its last tailLines', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      handler = createCommandHandler({
        nodeName: NODE,
        runtime,
        desired: () => desiredSet(1, pods),
        publish: async (topic, message) => void replies.push({ topic, message }),
        logger: silentLogger(),
        dataDir: dir,
      });
      await send({ command: 'logs', requestId: 'p1', pod: 'two', container: 'b', previous: true });
      expect(reply('p1')?.message).toMatchObject({ ok: false, error: 'previous terminated container "b" in pod "two" not found' });
      const [, b] = await runtime.list({ [RUNTIME_LABELS.podName]: 'two' }).then((l) => l.sort((x, y) => (x.labels[RUNTIME_LABELS.container]! < y.labels[RUNTIME_LABELS.container]! ? -1 : 1)));
      runtime.hooks.appendLog(b!.id, 'p1\np2\np3\n');
      await keepPreviousLog(runtime, dir, { uid: two.metadata.uid!, container: 'b', id: b!.id }, silentLogger());
      await send({ command: 'logs', requestId: 'p2', pod: 'two', container: 'b', previous: true, tailLines: 2 });
      expect(reply('p2')?.message).toMatchObject({ ok: true, output: 'p2\np3\n' });
      // the current instance is not needed: it may be gone while the next one is made
      await runtime.remove(b!.id);
      await send({ command: 'logs', requestId: 'p3', pod: 'two', container: 'b', previous: true });
      expect(reply('p3')?.message).toMatchObject({ ok: true, output: 'p1\np2\np3\n' });
    } finally {
      await cleanup();
    }
  });

  it('drops malformed commands and request ids that cannot be topic levels', async () => {
    await handler.handle(topics.nodeCmd(NODE), '{"v":1}');
    await send({ command: 'logs', requestId: 'a/b', pod: 'one' });
    expect(replies).toEqual([]);
  });

  it('truncates long output, keeping its end', () => {
    const text = 'x'.repeat(100) + 'END';
    const out = truncateOutput(text, 10);
    expect(out.endsWith('xxxxxxxEND')).toBe(true);
    expect(out).toContain('[... 93 bytes truncated ...]');
    expect(truncateOutput('short', 10)).toBe('short');
  });
});

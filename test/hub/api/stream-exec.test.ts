/**
 * The channel framing of v4/v5.channel.k8s.io as the hub writes and reads it (hub/api/stream-exec.ts):
 * the status a finished command leaves on channel 3, the way client-go reads an exit code from it,
 * messages as channel byte + data, and resize messages.
 */
import { describe, expect, it } from 'vitest';
import { channelMessage, CHANNEL_ERROR, execStatus, parseResize } from '../../../hub/api/stream-exec.js';

describe('exec channel framing', () => {
  it('reports success, a non-zero exit code as client-go reads it, and a failure', () => {
    expect(execStatus({ exitCode: 0 }, ['true'])).toEqual({ metadata: {}, status: 'Success' });
    expect(execStatus({}, undefined)).toEqual({ metadata: {}, status: 'Success' });
    const failed = execStatus({ exitCode: 3 }, ['sh', '-c', 'exit 3']) as { reason: string; message: string; details: { causes: Array<{ reason: string; message: string }> } };
    expect(failed).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode' });
    expect(failed.message).toBe('command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
    // client-go: for cause in details.causes, if cause.reason == "ExitCode", strconv.Atoi(cause.message)
    const cause = failed.details.causes.find((c) => c.reason === 'ExitCode');
    expect(Number.parseInt(cause!.message, 10)).toBe(3);
    expect(execStatus({ error: 'container main is not running' }, ['ls'])).toMatchObject({ status: 'Failure', message: 'container main is not running' });
  });

  it('frames a message as its channel byte then the data', () => {
    const m = channelMessage(CHANNEL_ERROR, '{"status":"Success"}');
    expect(m[0]).toBe(3);
    expect(m.subarray(1).toString()).toBe('{"status":"Success"}');
    expect([...channelMessage(1, Buffer.alloc(0))]).toEqual([1]);
  });

  it('reads a resize message, and refuses what is not one', () => {
    expect(parseResize(Buffer.from('{"Width":120,"Height":40}'))).toEqual({ width: 120, height: 40 });
    for (const bad of ['{"Width":0,"Height":40}', '{"Width":"x"}', 'not json', '{"Width":1.5,"Height":2}']) expect(parseResize(Buffer.from(bad)), bad).toBeUndefined();
  });
});

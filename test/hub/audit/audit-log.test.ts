/**
 * The audit log writer on real files: JSON lines, 0600, rotated by size keeping N files, and a full
 * queue dropping (and logging) events instead of making record() wait.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../hub/audit/audit-event.js';
import { createAuditLog } from '../../../hub/audit/audit-log.js';
import { silentLogger } from '../../../protocol/logger.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'drover-audit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function event(i: number, pad = ''): AuditEvent {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `id-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/pods/p${i}${pad}`,
    verb: 'get',
    user: { username: 'tok1', groups: ['drover:view'] },
    sourceIPs: ['127.0.0.1'],
    responseStatus: { metadata: {}, code: 200 },
    requestReceivedTimestamp: '2026-01-01T00:00:00.000Z',
    stageTimestamp: '2026-01-01T00:00:00.001Z',
  };
}

describe('audit log', () => {
  it('writes one JSON event per line to a 0600 file', async () => {
    const path = join(dir, 'audit.log');
    const log = createAuditLog({ path, logger: silentLogger() });
    log.record(event(1));
    log.record(event(2));
    await log.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(lines.map((l) => l.auditID)).toEqual(['id-1', 'id-2']);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('rotates by size and keeps maxBackups rotated files, newest as .1', async () => {
    const path = join(dir, 'audit.log');
    const log = createAuditLog({ path, maxBytes: 2048, maxBackups: 2, logger: silentLogger() });
    for (let i = 0; i < 40; i++) {
      log.record(event(i, 'x'.repeat(200)));
      await log.flush(); // one write each, so each can trigger a rotation
    }
    await log.close();
    expect((await readdir(dir)).sort()).toEqual(['audit.log', 'audit.log.1', 'audit.log.2']);
    const newest = (await readFile(`${path}.1`, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as AuditEvent).auditID);
    const older = (await readFile(`${path}.2`, 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as AuditEvent).auditID);
    expect(Number(newest[0]!.slice(3))).toBeGreaterThan(Number(older.at(-1)!.slice(3)));
    expect(log.stats()).toMatchObject({ written: 40, dropped: 0 });
  });

  it('never makes record() wait: beyond the queue limit events are dropped, counted and logged', async () => {
    const logs: { msg?: string; dropped?: number }[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg?: string }) });
    const log = createAuditLog({ path: join(dir, 'audit.log'), maxQueuedEvents: 10, logger });
    // all in one turn of the event loop: nothing can be written meanwhile
    for (let i = 0; i < 25; i++) log.record(event(i));
    expect(log.stats()).toMatchObject({ queued: 10, dropped: 15 });
    await log.close();
    expect(log.stats()).toMatchObject({ written: 10, dropped: 15, queued: 0 });
    expect(logs.map((l) => l.msg)).toEqual(['audit log queue full: dropping audit events', 'audit events dropped: the audit log could not keep up']);
    expect(logs[1]!.dropped).toBe(14);
    const written = (await readFile(join(dir, 'audit.log'), 'utf8')).trim().split('\n');
    expect(written).toHaveLength(10);
  });
});

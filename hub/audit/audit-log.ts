/**
 * The audit log writer: JSON lines appended to `<data dir>/audit.log` (0600), rotated by size as
 * logrotate does (audit.log.1 is the newest rotated file; `maxBackups` are kept) with
 * rotating-file-stream. Recording never waits for the disk: events queue in memory (at most
 * `maxQueuedEvents`) and are written in batches, one write at a time; an event that finds the queue
 * full is dropped and counted, and the drops are logged (the first at once, then a count after each
 * write), so a slow or full disk costs audit lines, never API latency.
 */
import { basename, dirname } from 'node:path';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import type { Logger } from '../../protocol/logger.js';
import type { AuditEvent } from './audit-event.js';

export interface AuditLogOptions {
  /** The file written (rotated copies beside it: PATH.1 newest ... PATH.N). */
  path: string;
  /** Rotate once the file reaches this many bytes (default 20 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 5). */
  maxBackups?: number;
  /** Events waiting to be written beyond which new ones are dropped (default 10 000). */
  maxQueuedEvents?: number;
  logger: Logger;
}

export interface AuditLogStats {
  written: number;
  dropped: number;
  queued: number;
}

export interface AuditLog {
  /** Queue one event; never blocks, never throws. */
  record(event: AuditEvent): void;
  /** Resolves once every event queued so far has been written (or dropped). */
  flush(): Promise<void>;
  stats(): AuditLogStats;
  /** Write what is queued, then close the file. */
  close(): Promise<void>;
}

export const DEFAULT_AUDIT_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_AUDIT_MAX_BACKUPS = 5;
export const DEFAULT_AUDIT_MAX_QUEUED = 10_000;

export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const logger = opts.logger;
  const maxQueued = opts.maxQueuedEvents ?? DEFAULT_AUDIT_MAX_QUEUED;
  const file = basename(opts.path);
  const open = (): RotatingFileStream => {
    // with `rotate` (logrotate's naming) the generator gets the rotation's index, or null for the live file
    const s = createStream((index: number | Date) => (typeof index === 'number' && index > 0 ? `${file}.${index}` : file), {
      path: dirname(opts.path),
      size: `${opts.maxBytes ?? DEFAULT_AUDIT_MAX_BYTES}B`,
      rotate: opts.maxBackups ?? DEFAULT_AUDIT_MAX_BACKUPS,
      mode: 0o600,
    });
    s.on('error', (err) => logger.error({ err, path: opts.path }, 'audit log write failed'));
    s.on('warning', (err) => logger.warn({ err, path: opts.path }, 'audit log rotation warning'));
    return s;
  };
  let stream = open();
  let queue: string[] = [];
  let writing: Promise<void> | undefined;
  let closed = false;
  const stats: AuditLogStats = { written: 0, dropped: 0, queued: 0 };
  let droppedUnlogged = 0;

  function writeBatch(lines: string[]): Promise<void> {
    return new Promise((resolve) => {
      stream.write(lines.join(''), (err) => {
        if (err) {
          // the stream is gone after an error: count the batch as dropped and start a new file stream
          stats.dropped += lines.length;
          droppedUnlogged += lines.length;
          stream.destroy();
          if (!closed) stream = open();
        } else stats.written += lines.length;
        resolve();
      });
    });
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const lines = queue;
      queue = [];
      stats.queued = 0;
      await writeBatch(lines);
      if (droppedUnlogged > 0) {
        logger.warn({ dropped: droppedUnlogged, totalDropped: stats.dropped }, 'audit events dropped: the audit log could not keep up');
        droppedUnlogged = 0;
      }
    }
    writing = undefined;
  }

  /** Write on the next turn of the event loop, so the events of one turn go in one write. */
  function kick(): void {
    writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain);
  }

  return {
    record(event) {
      if (closed || queue.length >= maxQueued) {
        if (stats.dropped === 0) logger.warn({ maxQueued, closed }, 'audit log queue full: dropping audit events');
        else droppedUnlogged++;
        stats.dropped++;
        return;
      }
      queue.push(`${JSON.stringify(event)}\n`);
      stats.queued = queue.length;
      kick();
    },
    async flush() {
      while (writing) await writing;
    },
    stats: () => ({ ...stats }),
    async close() {
      while (writing) await writing;
      closed = true;
      await new Promise<void>((resolve) => stream.end(() => resolve()));
    },
  };
}

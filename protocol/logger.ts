import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * The root logger of a process. Components take `logger.child({ component: 'scheduler' })`; nothing
 * creates its own root. Level from DROVER_LOG_LEVEL (default info); JSON lines on stderr so that
 * CLI output on stdout stays clean. DROVER_LOG_FILE (or destinationFile) sends them to a file instead.
 */
export function createRootLogger(options: LoggerOptions & { destinationFd?: number; destinationFile?: string } = {}): Logger {
  const { destinationFd = 2, destinationFile = process.env.DROVER_LOG_FILE || undefined, ...rest } = options;
  const destination = destinationFile
    ? pino.destination({ dest: destinationFile, mkdir: true, sync: false })
    : pino.destination({ fd: destinationFd, sync: false });
  return pino(
    {
      level: process.env.DROVER_LOG_LEVEL ?? 'info',
      base: { pid: process.pid },
      redact: { paths: ['password', '*.password', 'token', '*.token', 'data', '*.data', 'stringData'], censor: '[redacted]' },
      ...rest,
    },
    destination,
  );
}

/** A logger that drops everything: for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

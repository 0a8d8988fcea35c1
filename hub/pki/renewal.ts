/**
 * Certificate renewal while the hub runs: ensurePki() issues a new server certificate when the current one
 * is within SERVER_RENEW_BEFORE_DAYS of expiry (or no longer covers the host's addresses); this checks on a
 * timer and hands a new key and chain to the TLS listeners, which present it from the next handshake on.
 * Connections already open keep the certificate they were made with. The CA, and so every join token's
 * hash and every agent's pinned ca.crt, stays.
 */
import type { Logger } from '../../protocol/logger.js';
import type { Pki } from './pki.js';

export const RENEWAL_CHECK_INTERVAL_MS = 12 * 60 * 60 * 1000;

export interface ServerTls {
  key: string;
  cert: string;
}

export interface CertRenewalOptions {
  /** ensurePki with the hub's options: reissues only when due. */
  ensure: () => Promise<Pki>;
  /** Give the listeners the new key and chain. */
  apply: (tls: ServerTls) => void;
  /** The chain the listeners present now. */
  current: string;
  logger: Logger;
  intervalMs?: number;
}

export interface CertRenewal {
  /** One check now (the timer calls this); resolves true when a new certificate was applied. */
  check(): Promise<boolean>;
  stop(): void;
}

export function startCertRenewal(opts: CertRenewalOptions): CertRenewal {
  let current = opts.current;
  let running: Promise<boolean> | undefined;

  async function checkOnce(): Promise<boolean> {
    const pki = await opts.ensure();
    if (pki.serverChainPem === current) return false;
    opts.apply({ key: pki.serverKeyPem, cert: pki.serverChainPem });
    current = pki.serverChainPem;
    opts.logger.info({ altNames: pki.serverAltNames }, 'TLS listeners now present the renewed server certificate');
    return true;
  }

  const check = (): Promise<boolean> => {
    running ??= checkOnce().finally(() => (running = undefined));
    return running;
  };

  const timer = setInterval(() => {
    check().catch((err: unknown) => opts.logger.error({ err }, 'server certificate renewal check failed; the current certificate stays'));
  }, opts.intervalMs ?? RENEWAL_CHECK_INTERVAL_MS);
  timer.unref();

  return {
    check,
    stop: () => clearInterval(timer),
  };
}

/**
 * Failed MQTT logins per remote address: after `maxFailures` refusals within `windowMs`, that address is
 * refused outright for `blockMs`, without its credentials being looked at. Node secrets and join tokens are
 * long and random, so this is not what keeps them from being guessed; it keeps a misbehaving or hostile
 * client from making the hub hash credentials and log refusals at line rate. Connections already
 * established are not touched; devices behind the same NAT as a hammering client share its block.
 */
export interface AuthThrottleOptions {
  /** Default 20. */
  maxFailures?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** Default 5 min. */
  blockMs?: number;
  /** Addresses remembered at most (oldest forgotten first); default 10 000. */
  maxTracked?: number;
  clock?: () => number;
}

export interface AuthThrottle {
  /** How long this address is still refused, in ms; 0 when it is not. */
  blockedForMs(address: string): number;
  recordFailure(address: string): void;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

export function createAuthThrottle(opts: AuthThrottleOptions = {}): AuthThrottle {
  const maxFailures = opts.maxFailures ?? 20;
  const windowMs = opts.windowMs ?? 60_000;
  const blockMs = opts.blockMs ?? 5 * 60_000;
  const maxTracked = opts.maxTracked ?? 10_000;
  const clock = opts.clock ?? Date.now;
  const entries = new Map<string, Entry>();

  return {
    blockedForMs(address) {
      const e = entries.get(address);
      if (!e) return 0;
      const left = e.blockedUntil - clock();
      return left > 0 ? left : 0;
    },
    recordFailure(address) {
      const now = clock();
      let e = entries.get(address);
      if (!e || (now - e.windowStart >= windowMs && e.blockedUntil <= now)) {
        e = { windowStart: now, failures: 0, blockedUntil: 0 };
      }
      entries.delete(address); // re-insert: the Map's order is the order of last failure
      entries.set(address, e);
      e.failures++;
      if (e.failures >= maxFailures) {
        e.blockedUntil = now + blockMs;
        e.failures = 0;
        e.windowStart = now;
      }
      while (entries.size > maxTracked) entries.delete(entries.keys().next().value!);
    },
  };
}

/**
 * Back-off for failed MQTT logins, applied to failures only (as mosquitto setups do with fail2ban's
 * "delay the failures, never the successes"): every login is checked, and a valid credential is
 * accepted whatever came before it from the same address. Failures are counted per remote address
 * and username, and per address: past `maxFailures` failures of one username from one address
 * within `windowMs` (or `maxAddressFailures` of any username), each further failure is answered after
 * a delay that doubles from `baseDelayMs` to `maxDelayMs`, and is logged at debug instead of warn.
 *
 * A site behind one NAT address is one address: a device there hammering with a stale password holds
 * back only its own refusals; its neighbours, whose usernames differ, log in as usual, and so does
 * the device itself once it has its right credential. Node secrets and join tokens are long and
 * random, so this is not what keeps them from being guessed (a check costs one SHA-256); it keeps a
 * misbehaving client from making the hub answer and log refusals at line rate.
 */
export interface AuthThrottleOptions {
  /** Failures of one username from one address within the window before back-off (default 20). */
  maxFailures?: number;
  /** Failures of any username from one address within the window before back-off (default 100). */
  maxAddressFailures?: number;
  /** Default 60 s. */
  windowMs?: number;
  /** The first held-back refusal waits this long (default 1 s), each next one twice as long... */
  baseDelayMs?: number;
  /** ...up to this (default 10 s). */
  maxDelayMs?: number;
  /** A key with no failure for this long starts afresh (default 5 min). */
  forgetAfterMs?: number;
  /** Keys (address and username, address) remembered at most, oldest forgotten first (default 10 000). */
  maxTracked?: number;
  clock?: () => number;
}

export interface FailureVerdict {
  /** Hold the refusal back this long (ms); 0 = answer at once. */
  delayMs: number;
  /** True for the first failure held back since the key was last quiet: log that one at warn. */
  startedBackOff: boolean;
}

export interface AuthThrottle {
  /** Count a failed login of `username` from `address` and say how long to hold its refusal back. */
  recordFailure(address: string, username: string): FailureVerdict;
  /** A login succeeded: forget the failures of this username from this address. */
  recordSuccess(address: string, username: string): void;
  /** Keys remembered now (for tests of the bound). */
  size(): number;
}

interface Entry {
  windowStart: number;
  failures: number;
  /** Failures past the limit since the key was last quiet (the back-off's exponent). */
  heldBack: number;
  lastFailure: number;
}

export const AUTH_THROTTLE_DEFAULTS = {
  maxFailures: 20,
  maxAddressFailures: 100,
  windowMs: 60_000,
  baseDelayMs: 1_000,
  maxDelayMs: 10_000,
  forgetAfterMs: 5 * 60_000,
  maxTracked: 10_000,
} as const;

export function createAuthThrottle(opts: AuthThrottleOptions = {}): AuthThrottle {
  const o = { ...AUTH_THROTTLE_DEFAULTS, ...opts };
  const clock = opts.clock ?? Date.now;
  const entries = new Map<string, Entry>();
  const userKey = (address: string, username: string) => `${address}\u0000${username}`;

  /** Count one failure on `key`; the back-off exponent once past `limit`, else 0. */
  function count(key: string, limit: number, now: number): number {
    let e = entries.get(key);
    if (e && now - e.lastFailure >= o.forgetAfterMs) e = undefined;
    if (!e) e = { windowStart: now, failures: 0, heldBack: 0, lastFailure: now };
    // a key in back-off stays there until it has been quiet for forgetAfterMs
    else if (e.heldBack === 0 && now - e.windowStart >= o.windowMs) Object.assign(e, { windowStart: now, failures: 0 });
    entries.delete(key); // re-insert: the Map's order is the order of last failure
    entries.set(key, e);
    e.failures++;
    e.lastFailure = now;
    if (e.failures > limit) e.heldBack++;
    while (entries.size > o.maxTracked) entries.delete(entries.keys().next().value!);
    return e.heldBack;
  }

  return {
    recordFailure(address, username) {
      const now = clock();
      const exponent = Math.max(count(userKey(address, username), o.maxFailures, now), count(address, o.maxAddressFailures, now));
      if (exponent === 0) return { delayMs: 0, startedBackOff: false };
      return { delayMs: Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(exponent - 1, 30)), startedBackOff: exponent === 1 };
    },
    recordSuccess(address, username) {
      entries.delete(userKey(address, username));
    },
    size: () => entries.size,
  };
}

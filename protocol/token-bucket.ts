/**
 * A token bucket: holds at most `capacity` tokens, refills `ratePerSecond` of them a second, and a
 * `take` succeeds only when the bucket holds enough. Pure: the caller passes the time (ms), so tests
 * drive it without timers. One shape for the hub's rate limits (the event recorder's spam filter, the
 * broker's per-node publish quotas).
 */
export interface TokenBucket {
  /** Take `count` tokens at time `now` (ms); false (and nothing taken) when the bucket holds fewer. */
  take(count: number, now: number): boolean;
  /** Tokens held at time `now`. */
  level(now: number): number;
}

/** How fast the bucket refills: tokens a second, or one token every so many ms (exact for slow rates). */
export type TokenBucketRate = { ratePerSecond: number } | { refillEveryMs: number };

export type TokenBucketOptions = TokenBucketRate & {
  capacity: number;
  /** Time of creation (ms); the bucket starts full. */
  now: number;
};

export function createTokenBucket(opts: TokenBucketOptions): TokenBucket {
  const { capacity } = opts;
  const added = 'refillEveryMs' in opts ? (ms: number) => ms / opts.refillEveryMs : (ms: number) => (ms * opts.ratePerSecond) / 1000;
  let tokens = capacity;
  let at = opts.now;
  const refill = (now: number): void => {
    if (now > at) tokens = Math.min(capacity, tokens + added(now - at));
    at = Math.max(at, now);
  };
  return {
    take(count, now) {
      refill(now);
      if (tokens < count) return false;
      tokens -= count;
      return true;
    },
    level(now) {
      refill(now);
      return tokens;
    },
  };
}

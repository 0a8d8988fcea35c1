/**
 * Per-token flow control, API Priority and Fairness in spirit: no one token can take the hub's event
 * loop or memory from the rest. Each token (a principal id; the loopback status page counts as one
 * anonymous caller) has
 *   - a request rate: a token bucket (qps, burst); admin tokens are not rate limited,
 *   - a bound on its requests in flight (watches excluded),
 *   - a bound on its open watches.
 * Over any of them the request is refused with 429 TooManyRequests and Retry-After, as kube-apiserver
 * answers, so client-go and kubectl back off and retry. Node heartbeats and the node lifecycle do
 * not pass through here at all (they are MQTT and in-process), so API load never queues them; what
 * this bounds is how much of the shared event loop API work can take.
 */
import type { ApiPrincipal } from './auth.js';
import { apiErrors } from './status.js';

export interface FlowControlOptions {
  /** Sustained requests per second per non-admin token (default 100). */
  qps?: number;
  /** Requests a non-admin token may send at once above its rate (default 200). */
  burst?: number;
  /** Requests (watches excluded) one token may have in flight (default 32). */
  maxInflightPerToken?: number;
  /** Watches one token may hold open (default 128). */
  maxWatchesPerToken?: number;
  clock?: () => number;
}

export interface FlowControlUsage {
  /** Tokens with something in flight or open. */
  tokens: number;
  inflight: number;
  watches: number;
  /** Requests refused since start, by the limit that refused them. */
  refused: { rate: number; inflight: number; watches: number };
}

export interface FlowControl {
  /** Admit one request (or watch) of `principal`; call the returned release when it ends. Throws a 429 ApiError. */
  admit(principal: ApiPrincipal | undefined, kind: 'request' | 'watch'): () => void;
  usage(): FlowControlUsage;
}

interface TokenState {
  tokens: number;
  refilledAt: number;
  inflight: number;
  watches: number;
}

export const DEFAULT_FLOW_CONTROL = { qps: 100, burst: 200, maxInflightPerToken: 32, maxWatchesPerToken: 128 } as const;

const ANONYMOUS = '(anonymous)';

export function createFlowControl(opts: FlowControlOptions = {}): FlowControl {
  const qps = opts.qps ?? DEFAULT_FLOW_CONTROL.qps;
  const burst = opts.burst ?? DEFAULT_FLOW_CONTROL.burst;
  const maxInflight = opts.maxInflightPerToken ?? DEFAULT_FLOW_CONTROL.maxInflightPerToken;
  const maxWatches = opts.maxWatchesPerToken ?? DEFAULT_FLOW_CONTROL.maxWatchesPerToken;
  const clock = opts.clock ?? Date.now;
  const states = new Map<string, TokenState>();
  const refused = { rate: 0, inflight: 0, watches: 0 };

  const stateOf = (id: string): TokenState => {
    let state = states.get(id);
    if (!state) {
      state = { tokens: burst, refilledAt: clock(), inflight: 0, watches: 0 };
      states.set(id, state);
    }
    return state;
  };

  /** A state with nothing open and a full bucket says nothing: drop it, so the map holds only active tokens. */
  const forgetIfIdle = (id: string, state: TokenState): void => {
    if (state.inflight === 0 && state.watches === 0 && state.tokens >= burst) states.delete(id);
  };

  const takeRate = (id: string, state: TokenState): void => {
    const now = clock();
    state.tokens = Math.min(burst, state.tokens + ((now - state.refilledAt) / 1000) * qps);
    state.refilledAt = now;
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return;
    }
    refused.rate += 1;
    const wait = Math.max(1, Math.ceil((1 - state.tokens) / qps));
    forgetIfIdle(id, state);
    throw apiErrors.tooManyRequests(`Too many requests, please try again later: token "${id}" is over ${qps} requests per second`, wait);
  };

  return {
    admit(principal, kind) {
      const id = principal?.id ?? ANONYMOUS;
      const state = stateOf(id);
      if (principal?.role !== 'admin') takeRate(id, state);
      if (kind === 'watch') {
        if (state.watches >= maxWatches) {
          refused.watches += 1;
          throw apiErrors.tooManyRequests(`Too many requests, please try again later: token "${id}" holds ${maxWatches} open watches`, 1);
        }
        state.watches += 1;
      } else {
        if (state.inflight >= maxInflight) {
          refused.inflight += 1;
          throw apiErrors.tooManyRequests(`Too many requests, please try again later: token "${id}" has ${maxInflight} requests in flight`, 1);
        }
        state.inflight += 1;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (kind === 'watch') state.watches -= 1;
        else state.inflight -= 1;
        forgetIfIdle(id, state);
      };
    },
    usage() {
      let inflight = 0;
      let watches = 0;
      for (const s of states.values()) {
        inflight += s.inflight;
        watches += s.watches;
      }
      return { tokens: states.size, inflight, watches, refused: { ...refused } };
    },
  };
}

/**
 * Agent versions: the bundle's semantic version (`0.1.0`, `0.2.0-rc.1`), compared as SemVer 2.0 orders them
 * (build metadata ignored), and the oldest agent this hub still supports. The hub refuses to roll a fleet
 * back past it (hub/controllers/agent-upgrade), and the API refuses such an AgentUpgrade.
 */
import { DroverError } from './errors.js';

/** The node label the agent sets from its own bundle's VERSION (agent-owned). */
export const AGENT_VERSION_LABEL = 'drover.io/agent-version';

/** The oldest agent version this hub speaks to: an AgentUpgrade to an older one is refused. */
export const MIN_SUPPORTED_AGENT_VERSION = '0.1.0';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-.]+)?$/;

export class InvalidAgentVersionError extends DroverError {
  constructor(readonly version: string) {
    super('INVALID_AGENT_VERSION', `"${version}" is not an agent version: use a semantic version such as 0.2.0`);
  }
}

export function isAgentVersion(text: string): boolean {
  return SEMVER.test(text);
}

/** -1, 0 or 1 as `a` sorts before, with or after `b` (SemVer precedence). Throws InvalidAgentVersionError. */
export function compareAgentVersions(a: string, b: string): number {
  const pa = SEMVER.exec(a);
  if (!pa) throw new InvalidAgentVersionError(a);
  const pb = SEMVER.exec(b);
  if (!pb) throw new InvalidAgentVersionError(b);
  for (let i = 1; i <= 3; i++) {
    const d = Number(pa[i]) - Number(pb[i]);
    if (d !== 0) return Math.sign(d);
  }
  const ra = pa[4];
  const rb = pb[4];
  if (ra === undefined || rb === undefined) return ra === rb ? 0 : ra === undefined ? 1 : -1;
  const xa = ra.split('.');
  const xb = rb.split('.');
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const ea = xa[i];
    const eb = xb[i];
    if (ea === undefined) return -1;
    if (eb === undefined) return 1;
    const na = /^\d+$/.test(ea);
    const nb = /^\d+$/.test(eb);
    if (na && nb) {
      const d = Number(ea) - Number(eb);
      if (d !== 0) return Math.sign(d);
    } else if (na !== nb) return na ? -1 : 1;
    else if (ea !== eb) return ea < eb ? -1 : 1;
  }
  return 0;
}

/**
 * Pod Security's vocabulary (Kubernetes' pod-security-admission api package), shared by the hub's
 * admission and the CLI's flags: levels, versions and the policy a Namespace's labels choose, as Kubernetes'
 * pod-security-admission api package: `pod-security.kubernetes.io/<mode>` = privileged | baseline |
 * restricted and `<mode>-version` = latest | v1.N, for the modes enforce, warn and audit. Labels left
 * out take the hub's defaults; a label that cannot be read counts as restricted (latest) for enforce
 * and as privileged for warn and audit (Kubernetes fails closed for enforce, open for the others), and
 * is reported. Drover has one set of checks: every version is evaluated as latest.
 */
import {
  LABEL_POD_SECURITY_AUDIT,
  LABEL_POD_SECURITY_AUDIT_VERSION,
  LABEL_POD_SECURITY_ENFORCE,
  LABEL_POD_SECURITY_ENFORCE_VERSION,
  LABEL_POD_SECURITY_WARN,
  LABEL_POD_SECURITY_WARN_VERSION,
} from './well-known.js';

export const LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type Level = (typeof LEVELS)[number];
export const MODES = ['enforce', 'warn', 'audit'] as const;
export type Mode = (typeof MODES)[number];

/** A level and the version label as given ("latest" or "v1.N"). */
export interface LevelVersion {
  level: Level;
  version: string;
}

export type Policy = Record<Mode, LevelVersion>;

/** A label that is not a level or version: the field and the reason, in Kubernetes' words. */
export interface LabelProblem {
  field: string;
  value: string;
  message: string;
}

const LABELS: Record<Mode, { level: string; version: string }> = {
  enforce: { level: LABEL_POD_SECURITY_ENFORCE, version: LABEL_POD_SECURITY_ENFORCE_VERSION },
  warn: { level: LABEL_POD_SECURITY_WARN, version: LABEL_POD_SECURITY_WARN_VERSION },
  audit: { level: LABEL_POD_SECURITY_AUDIT, version: LABEL_POD_SECURITY_AUDIT_VERSION },
};

const VERSION = /^v1\.(0|[1-9][0-9]*)$/;

export function isLevel(text: string): text is Level {
  return (LEVELS as readonly string[]).includes(text);
}

export function isVersion(text: string): boolean {
  return text === 'latest' || VERSION.test(text);
}

/** "baseline:latest", as Kubernetes prints a LevelVersion. */
export function formatLevelVersion(lv: LevelVersion): string {
  return `${lv.level}:${lv.version}`;
}

/** -1 if `a` is less strict than `b`, 0 if the same, 1 if stricter. */
export function compareLevels(a: Level, b: Level): number {
  return Math.sign(LEVELS.indexOf(a) - LEVELS.indexOf(b));
}

/** The same level for every mode, at the latest version. */
export function uniformPolicy(level: Level): Policy {
  return { enforce: { level, version: 'latest' }, warn: { level, version: 'latest' }, audit: { level, version: 'latest' } };
}

/** Kubernetes' PolicyToEvaluate: the labels over the defaults; a policy is always returned, with what could not be read. */
export function policyFromLabels(labels: Readonly<Record<string, string>> | undefined, defaults: Policy): { policy: Policy; problems: LabelProblem[] } {
  const policy: Policy = { enforce: { ...defaults.enforce }, warn: { ...defaults.warn }, audit: { ...defaults.audit } };
  const problems: LabelProblem[] = [];
  for (const mode of MODES) {
    const level = labels?.[LABELS[mode].level];
    if (level !== undefined) {
      if (isLevel(level)) policy[mode].level = level;
      else {
        policy[mode].level = mode === 'enforce' ? 'restricted' : 'privileged';
        problems.push({ field: `metadata.labels[${LABELS[mode].level}]`, value: level, message: `must be one of ${LEVELS.join(', ')}` });
      }
    }
    const version = labels?.[LABELS[mode].version];
    if (version !== undefined) {
      if (isVersion(version)) policy[mode].version = version;
      else {
        policy[mode].version = 'latest';
        problems.push({ field: `metadata.labels[${LABELS[mode].version}]`, value: version, message: 'must be "latest" or "v1.x"' });
      }
    }
  }
  return { policy, problems };
}

/** The label that sets `mode`'s level. */
export function levelLabel(mode: Mode): string {
  return LABELS[mode].level;
}

/**
 * The hub's --pod-security-default: one level for every mode ("baseline"), or modes given one by one
 * ("enforce=baseline,warn=restricted,audit=restricted:v1.32"); modes left out take `base`. An error
 * naming the part that is neither.
 */
export function parsePolicy(text: string, base: Policy): { policy: Policy } | { error: string } {
  const trimmed = text.trim();
  if (isLevel(trimmed)) return { policy: uniformPolicy(trimmed) };
  const policy: Policy = { enforce: { ...base.enforce }, warn: { ...base.warn }, audit: { ...base.audit } };
  for (const part of trimmed.split(',')) {
    const m = /^(enforce|warn|audit)=([a-z]+)(?::(\S+))?$/.exec(part.trim());
    if (!m) return { error: `"${part.trim()}" is not MODE=LEVEL[:VERSION] (modes ${MODES.join(', ')}; levels ${LEVELS.join(', ')})` };
    const [, mode, level, version = 'latest'] = m as unknown as [string, Mode, string, string | undefined];
    if (!isLevel(level)) return { error: `"${level}" is not a level: must be one of ${LEVELS.join(', ')}` };
    if (!isVersion(version)) return { error: `"${version}" is not a version: must be "latest" or "v1.x"` };
    policy[mode] = { level, version };
  }
  return { policy };
}

import { describe, expect, it } from 'vitest';
import { compareLevels, formatLevelVersion, parsePolicy, policyFromLabels, uniformPolicy } from '../../protocol/pod-security.js';

const baseline = uniformPolicy('baseline');

describe('Pod Security policy from namespace labels (Kubernetes PolicyToEvaluate)', () => {
  it('takes the defaults for labels left out, and each label over them', () => {
    expect(policyFromLabels(undefined, baseline)).toEqual({ policy: baseline, problems: [] });
    const { policy, problems } = policyFromLabels(
      { 'pod-security.kubernetes.io/enforce': 'privileged', 'pod-security.kubernetes.io/warn': 'restricted', 'pod-security.kubernetes.io/warn-version': 'v1.32', app: 'x' },
      baseline,
    );
    expect(problems).toEqual([]);
    expect(policy).toEqual({ enforce: { level: 'privileged', version: 'latest' }, warn: { level: 'restricted', version: 'v1.32' }, audit: { level: 'baseline', version: 'latest' } });
    expect(formatLevelVersion(policy.warn)).toBe('restricted:v1.32');
  });

  it('fails closed for an unreadable enforce label (restricted) and open for warn and audit (privileged), naming each label', () => {
    const { policy, problems } = policyFromLabels(
      { 'pod-security.kubernetes.io/enforce': 'none', 'pod-security.kubernetes.io/audit': 'strict', 'pod-security.kubernetes.io/enforce-version': '1.32' },
      baseline,
    );
    expect(policy.enforce).toEqual({ level: 'restricted', version: 'latest' });
    expect(policy.audit.level).toBe('privileged');
    expect(problems).toEqual([
      { field: 'metadata.labels[pod-security.kubernetes.io/enforce]', value: 'none', message: 'must be one of privileged, baseline, restricted' },
      { field: 'metadata.labels[pod-security.kubernetes.io/enforce-version]', value: '1.32', message: 'must be "latest" or "v1.x"' },
      { field: 'metadata.labels[pod-security.kubernetes.io/audit]', value: 'strict', message: 'must be one of privileged, baseline, restricted' },
    ]);
  });

  it('orders levels by strictness', () => {
    expect(compareLevels('privileged', 'baseline')).toBe(-1);
    expect(compareLevels('restricted', 'baseline')).toBe(1);
    expect(compareLevels('baseline', 'baseline')).toBe(0);
  });

  it('parses the hub flag: one level, or mode=level[:version] pairs over a base', () => {
    expect(parsePolicy('restricted', baseline)).toEqual({ policy: uniformPolicy('restricted') });
    expect(parsePolicy('enforce=privileged,warn=restricted:v1.30', baseline)).toEqual({
      policy: { enforce: { level: 'privileged', version: 'latest' }, warn: { level: 'restricted', version: 'v1.30' }, audit: { level: 'baseline', version: 'latest' } },
    });
    expect(parsePolicy('enforce=strict', baseline)).toEqual({ error: '"strict" is not a level: must be one of privileged, baseline, restricted' });
    expect(parsePolicy('enforce=baseline:1.2', baseline)).toMatchObject({ error: expect.stringContaining('not a version') });
    expect(parsePolicy('everything', baseline)).toMatchObject({ error: expect.stringContaining('is not MODE=LEVEL[:VERSION]') });
  });
});

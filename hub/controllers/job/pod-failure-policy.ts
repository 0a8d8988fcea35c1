/**
 * A Job's podFailurePolicy on a failed pod, as Kubernetes' matchPodFailurePolicy for onExitCodes:
 * the first rule that matches decides (FailJob, Ignore, Count); containers that exited 0 are not
 * looked at; no match is Count.
 */
import type { Job } from '../../../protocol/objects/job.js';
import type { Pod } from '../../../protocol/objects/pod.js';

export interface PolicyMatch {
  action: 'FailJob' | 'Ignore' | 'Count';
  /** The message of a FailJob match, as Kubernetes words it. */
  message?: string;
}

export function matchPodFailurePolicy(job: Job, pod: Pod): PolicyMatch {
  const rules = job.spec.podFailurePolicy?.rules ?? [];
  const statuses = pod.status?.containerStatuses ?? [];
  for (const [index, rule] of rules.entries()) {
    const req = rule.onExitCodes;
    for (const s of statuses) {
      if (req.containerName !== undefined && req.containerName !== s.name) continue;
      const code = s.state?.terminated?.exitCode;
      if (code === undefined || code === 0) continue;
      const inSet = req.values.includes(code);
      if (req.operator === 'In' ? inSet : !inSet) {
        const ns = pod.metadata.namespace ?? 'default';
        const message = `Container ${s.name} for pod ${ns}/${pod.metadata.name} failed with exit code ${code} matching ${rule.action} rule at index ${index}`;
        return { action: rule.action, message };
      }
    }
  }
  return { action: 'Count' };
}

/** The pods a Job creates: from its template, owned by it; an Indexed Job's carry their index. */
import type { Job } from '../../../protocol/objects/job.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { JOB_COMPLETION_INDEX } from '../../../protocol/well-known.js';
import { podFromTemplate } from '../pod-template.js';

/**
 * A new pod of `job`: `<job>-<5 random>`, or for index i of an Indexed Job `<job>-<i>-<5 random>` with
 * the `batch.kubernetes.io/job-completion-index` annotation and label, hostname `<job>-<i>` and the
 * env JOB_COMPLETION_INDEX in every container (Kubernetes sets it through a fieldRef to the
 * annotation; the agent has no fieldRefs, so the value is written in).
 */
export function jobPod(job: Job, index?: number): Pod {
  const namespace = job.metadata.namespace ?? 'default';
  const name = job.metadata.name;
  if (index === undefined) return podFromTemplate(job.spec.template, { base: name, namespace, owner: job });
  const value = String(index);
  const pod = podFromTemplate(job.spec.template, { base: `${name}-${value}`, namespace, owner: job, extraLabels: { [JOB_COMPLETION_INDEX]: value } });
  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [JOB_COMPLETION_INDEX]: value };
  pod.spec.hostname ??= `${name}-${value}`.slice(0, 63).replace(/-+$/, '');
  const withIndex = <C extends { env?: Array<{ name: string }> }>(c: C): C => ({
    ...c,
    env: [...(c.env ?? []).filter((e) => e.name !== 'JOB_COMPLETION_INDEX'), { name: 'JOB_COMPLETION_INDEX', value }],
  });
  pod.spec.containers = pod.spec.containers.map(withIndex);
  return pod;
}

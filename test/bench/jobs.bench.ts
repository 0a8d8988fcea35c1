/**
 * Job and CronJob figures on one real containerd agent: Job pod churn (pods completed per second, a Job
 * of 30 completions, parallelism 5, pods `sh -c 'exit 0'`), and the delay from a CronJob's scheduled
 * time (`* * * * *`, real time: up to a minute's wait) to its pod running (the container's startedAt).
 */
import { loadavg } from 'node:os';
import { cleanup, removeNodeContainers, startAgent, startHub, TEST_IMAGE, waitFor } from '../e2e/support.js';
import type { BenchResult } from './run.js';

const NODE = 'jobs-bench-ctr';
const COMPLETIONS = 30;
const PARALLELISM = 5;

const template = (restartPolicy: string, command: string): string => `    spec:
      restartPolicy: ${restartPolicy}
      terminationGracePeriodSeconds: 1
      containers:
      - name: main
        image: ${TEST_IMAGE}
        imagePullPolicy: Never
        command: ["sh", "-c", "${command}"]`;

interface PodJson {
  metadata: { ownerReferences?: { kind: string; name: string }[] };
  status?: { containerStatuses?: { state?: { running?: { startedAt?: string }; terminated?: { startedAt?: string } } }[] };
}

export async function run(): Promise<BenchResult[]> {
  const hub = await startHub();
  const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
  const agent = await startAgent(hub, NODE, 'containerd', token.trim());
  try {
    await waitFor('the node Ready', async () => {
      const list = await hub.json<{ items: { status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      return list.items.some((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    }, 180_000);
    const load = loadavg()[0]!.toFixed(2);
    const started = Date.now();
    await hub.cli(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1\nkind: Job\nmetadata: {name: churn}\nspec:\n  completions: ${COMPLETIONS}\n  parallelism: ${PARALLELISM}\n  template:\n${template('Never', 'exit 0')}\n`,
    });
    await hub.cli(['wait', '--for=condition=complete', 'job/churn', '--timeout=600s']);
    const seconds = (Date.now() - started) / 1000;

    await hub.cli(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tick}\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n${template('Never', 'sleep 30').replace(/^/gm, '    ')}\n`,
    });
    const job = await waitFor('the CronJob\'s first Job', async () => {
      const jobs = await hub.json<{ items: { metadata: { name: string; annotations?: Record<string, string> } }[] }>(['get', 'jobs']);
      return jobs.items.find((j) => j.metadata.name.startsWith('tick-'));
    }, 130_000, 250);
    const scheduled = Date.parse(job.metadata.annotations!['batch.kubernetes.io/cronjob-scheduled-timestamp']!);
    const runningAt = await waitFor('its pod running', async () => {
      const pods = await hub.json<{ items: PodJson[] }>(['get', 'pods']);
      const pod = pods.items.find((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'Job' && r.name === job.metadata.name));
      const t = pod?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
      return t ? Date.parse(t) : undefined;
    }, 60_000, 250);
    return [
      { name: 'job pod churn, one containerd node', value: Number((COMPLETIONS / seconds).toFixed(2)), unit: 'pods completed/s', note: `${COMPLETIONS} completions, parallelism ${PARALLELISM}, sh -c 'exit 0', ${seconds.toFixed(1)} s from apply to Complete; load ${load}` },
      { name: 'cronjob scheduled time to pod running', value: (runningAt - scheduled) / 1000, unit: 's', note: `* * * * *, container startedAt minus the scheduled time; load ${loadavg()[0]!.toFixed(2)}` },
    ];
  } finally {
    await agent.stop();
    await hub.stop();
    await removeNodeContainers([NODE]);
    await cleanup(hub.dir);
  }
}

/**
 * Pods behaving fully on real agents, end to end with real processes: a `drover hub` and two agents
 * (pd-docker on Docker, pd-ctr on containerd). On each runtime:
 *   - a readiness httpGet probe keeps a pod unready until its server answers (it starts after 6 s);
 *   - a liveness exec probe that starts failing restarts its container;
 *   - a crash-looping container shows CrashLoopBackOff in `drover get pods`, its restart count grows
 *     and the gaps between restarts grow (10 s, then 20 s);
 *   - `drover describe pod` shows the agent's events (Started, Unhealthy, Killing, BackOff).
 *   - `drover logs --previous` prints the output of the instance before the restart (liveness kill and crash).
 * All pods are applied at once so the slow back-offs overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, startAgent, startHub, waitFor, TEST_IMAGE, type Proc, type TestHub } from './support.js';

interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { exitCode: number; startedAt?: string; finishedAt?: string };
}
interface PodJson {
  metadata: { name: string };
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; lastTransitionTime?: string }[];
    containerStatuses?: { ready: boolean; started?: boolean; restartCount: number; state?: ContainerState; lastState?: ContainerState }[];
  };
}
interface EventJson {
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  involvedObject: { name?: string };
  source?: { component?: string; host?: string };
}

const RUNTIMES = [
  { runtime: 'docker' as const, node: 'pd-docker', readyPort: 18500 },
  { runtime: 'containerd' as const, node: 'pd-ctr', readyPort: 18501 },
];

function pod(name: string, node: string, container: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeSelector:
    kubernetes.io/hostname: ${node}
  terminationGracePeriodSeconds: 1
  containers:
    - name: web
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
${container}`;
}

const readyPod = (name: string, node: string, port: number) =>
  pod(
    name,
    node,
    `      command: ["sh", "-c", "sleep 6; mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p ${port} -h /www"]
      ports:
        - name: http
          containerPort: ${port}
          hostPort: ${port}
      readinessProbe:
        httpGet:
          path: /
          port: http
        periodSeconds: 1
        timeoutSeconds: 3
        failureThreshold: 1
`,
  );

const livePod = (name: string, node: string) =>
  pod(
    name,
    node,
    `      command: ["sh", "-c", "echo up $(cat /proc/sys/kernel/random/uuid); touch /tmp/healthy; sleep 4; rm -f /tmp/healthy; exec sleep 3600"]
      livenessProbe:
        exec:
          command: ["cat", "/tmp/healthy"]
        periodSeconds: 1
        timeoutSeconds: 5
        failureThreshold: 2
`,
  );

const crashPod = (name: string, node: string) => pod(name, node, `      command: ["sh", "-c", "echo crashing; exit 1"]\n`);

/** Watches a crash-looping pod from the moment it is applied: every instance's start, and the table. */
interface CrashWatch {
  starts: Set<string>;
  /** Distinct waiting messages, in the order seen ("back-off 10s restarting ...", "back-off 20s ..."). */
  backOffs: string[];
  sawCrashLoopInTable: boolean;
  last: PodJson | undefined;
  stop(): Promise<void>;
}

function watchCrashLoop(hub: TestHub, name: string): CrashWatch {
  let stopped = false;
  const w: CrashWatch = {
    starts: new Set(),
    backOffs: [],
    sawCrashLoopInTable: false,
    last: undefined,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
  const loop = (async () => {
    while (!stopped) {
      try {
        const p = await hub.json<PodJson>(['get', 'pod', name]);
        w.last = p;
        const s = p.status?.containerStatuses?.[0];
        for (const st of [s?.state, s?.lastState]) {
          const t = st?.running?.startedAt ?? st?.terminated?.startedAt;
          if (t) w.starts.add(t);
        }
        const message = s?.state?.waiting?.reason === 'CrashLoopBackOff' ? s.state.waiting.message : undefined;
        if (message && !w.backOffs.includes(message)) w.backOffs.push(message);
        if (!w.sawCrashLoopInTable && s?.state?.waiting?.reason === 'CrashLoopBackOff') {
          const { stdout } = await hub.cli(['get', 'pods']);
          w.sawCrashLoopInTable = new RegExp(`${name}\\s+0/1\\s+CrashLoopBackOff\\s+\\d+`).test(stdout);
        }
      } catch {
        // not created yet, or the hub is busy: try again
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return w;
}

const condition = (p: PodJson | undefined, type: string) => p?.status?.conditions?.find((c) => c.type === type);
/** Milliseconds of an RFC 3339 time, whatever its fractional digits. */
const ms = (t: string) => Date.parse(t.replace(/(\.\d{3})\d+/, '$1'));

describe('pods: probes, restarts and events (real hub, agents on Docker and containerd)', () => {
  let hub: TestHub;
  const agents: Proc[] = [];
  const crashWatches = new Map<string, CrashWatch>();

  beforeAll(async () => {
    hub = await startHub();
    for (const { runtime, node } of RUNTIMES) {
      const { stdout: token } = await hub.cli(['token', 'create', '--ttl', '10m']);
      agents.push(await startAgent(hub, node, runtime, token.trim()));
    }
    await waitFor('both nodes Ready', async () => {
      const list = await hub.json<{ items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[] }>(['get', 'nodes']);
      const ready = list.items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === RUNTIMES.length;
    });
    const manifests = RUNTIMES.flatMap(({ runtime, node, readyPort }) => [
      readyPod(`pd-ready-${runtime}`, node, readyPort),
      livePod(`pd-live-${runtime}`, node),
      crashPod(`pd-crash-${runtime}`, node),
    ]);
    await hub.cli(['apply', '-f', '-'], { input: manifests.join('---\n') });
    for (const { runtime } of RUNTIMES) crashWatches.set(runtime, watchCrashLoop(hub, `pd-crash-${runtime}`));
  }, 120_000);

  afterAll(async () => {
    for (const w of crashWatches.values()) await w.stop();
    if (hub) {
      // gracefully, so the agents remove the containers before they stop
      const names = RUNTIMES.flatMap(({ runtime }) => [`pd-ready-${runtime}`, `pd-live-${runtime}`, `pd-crash-${runtime}`]);
      await hub.cli(['delete', 'pod', ...names, '--ignore-not-found', '--timeout', '120s'], { reject: false });
    }
    for (const a of agents) await a.stop();
    await hub?.stop();
    if (hub) await cleanup(hub.dir);
  }, 180_000);

  const getPod = (name: string) => hub.json<PodJson>(['get', 'pod', name]);
  const events = async (name: string) =>
    (await hub.json<{ items: EventJson[] }>(['get', 'events'])).items.filter((e) => e.involvedObject.name === name);

  for (const { runtime, node, readyPort } of RUNTIMES) {
    it(`${runtime}: a readiness httpGet probe makes the pod Ready only once its server answers`, async () => {
      const name = `pd-ready-${runtime}`;
      let sawRunningUnready = false;
      const ready = await waitFor(
        `${name} Ready`,
        async () => {
          const p = await getPod(name);
          if (p.status?.phase === 'Running' && condition(p, 'Ready')?.status === 'False') sawRunningUnready = true;
          return condition(p, 'Ready')?.status === 'True' ? p : undefined;
        },
        120_000,
      );
      expect(ready.spec.nodeName).toBe(node);
      const started = ready.status!.containerStatuses![0]!.state!.running!.startedAt!;
      const readyAt = condition(ready, 'Ready')!.lastTransitionTime!;
      // the server starts 6 s after the container: Ready comes after that, never before
      expect(ms(readyAt) - ms(started)).toBeGreaterThanOrEqual(5_500);
      expect(condition(ready, 'ContainersReady')?.status).toBe('True');
      expect(ready.status!.containerStatuses![0]!.restartCount).toBe(0);
      // The first probes fail while the server sleeps, unless the machine is so busy that the agent saw
      // the container only once the server was up: then there is no Unhealthy event to look at.
      const unhealthy = (await events(name)).find((e) => e.reason === 'Unhealthy');
      if (sawRunningUnready && unhealthy) {
        expect(unhealthy.message).toMatch(/^Readiness probe failed: /);
        expect(unhealthy.source).toEqual({ component: 'drover-agent', host: node });
      }
      const body = await fetch(`http://127.0.0.1:${readyPort}/`).then((r) => r.text());
      expect(body.trim()).toBe('ok');
      const table = await hub.cli(['get', 'pods']);
      expect(table.stdout).toMatch(new RegExp(`${name}\\s+1/1\\s+Running\\s+0`));
    }, 150_000);
  }

  for (const { runtime } of RUNTIMES) {
    it(`${runtime}: a failing liveness exec probe kills and restarts the container; describe shows why`, async () => {
      const name = `pd-live-${runtime}`;
      const restarted = await waitFor(
        `${name} restarted`,
        async () => {
          const p = await getPod(name);
          const s = p.status?.containerStatuses?.[0];
          return s && s.restartCount >= 1 ? p : undefined;
        },
        150_000,
      );
      expect(restarted.status!.containerStatuses![0]!.lastState?.terminated).toBeDefined();
      // the killed instance's output was kept: logs --previous shows it, and it is not the current instance's
      const previous = (await hub.cli(['logs', name, '--previous'])).stdout.trim();
      expect(previous).toMatch(/^up [0-9a-f-]{36}$/);
      expect((await hub.cli(['logs', name])).stdout.trim()).not.toBe(previous);
      const described = await waitFor(
        `${name} events in describe`,
        async () => {
          const { stdout } = await hub.cli(['describe', 'pod', name]);
          return stdout.includes('Killing') ? stdout : undefined;
        },
        60_000,
      );
      expect(described).toContain('Liveness probe failed');
      expect(described).toContain('Container web failed liveness probe, will be restarted');
      expect(described).toMatch(/Started\s/);
    }, 240_000);
  }

  for (const { runtime } of RUNTIMES) {
    it(`${runtime}: a crash-looping container shows CrashLoopBackOff, with growing gaps between restarts`, async () => {
      const name = `pd-crash-${runtime}`;
      const watch = crashWatches.get(runtime)!;
      const final = await waitFor(
        `${name} to have restarted twice and crashed again`,
        async () => {
          const s = watch.last?.status?.containerStatuses?.[0];
          return s && s.restartCount >= 2 && s.state?.waiting?.reason === 'CrashLoopBackOff' && watch.starts.size >= 3 && watch.sawCrashLoopInTable
            ? watch.last
            : undefined;
        },
        240_000,
        500,
      );
      const starts = watch.starts;
      const waiting = final.status!.containerStatuses![0]!.state!.waiting!;
      expect(waiting.message).toMatch(new RegExp(`^back-off (\\d+s|\\d+m\\d+s) restarting failed container=web pod=${name}_default\\(`));
      // the back-off doubles: the agent said so while waiting ...
      const backOffSeconds = watch.backOffs.map((m) => Number(/^back-off (\d+)s /.exec(m)?.[1]));
      expect(backOffSeconds.slice(0, 2)).toEqual([10, 20]);
      // ... and the restarts kept to it: each gap at least its back-off (a busy machine only adds to it)
      const sorted = [...starts].map(ms).sort((a, b) => a - b);
      const gaps = sorted.slice(1).map((t, i) => t - sorted[i]!);
      expect(gaps[0]).toBeGreaterThanOrEqual(9_500);
      expect(gaps[1]).toBeGreaterThanOrEqual(19_500);
      const evs = await events(name);
      const backOff = evs.find((e) => e.reason === 'BackOff');
      expect(backOff?.message).toMatch(new RegExp(`^Back-off restarting failed container web in pod ${name}_default\\(`));
      expect(backOff?.count).toBeGreaterThanOrEqual(2);
      expect(evs.filter((e) => e.reason === 'Started').reduce((n, e) => n + (e.count ?? 1), 0)).toBeGreaterThanOrEqual(3);
      // describe caught between a restart and the next crash shows the container Terminated: ask again
      const stdout = await waitFor(`describe ${name} showing CrashLoopBackOff`, async () => {
        const out = (await hub.cli(['describe', 'pod', name])).stdout;
        return out.includes('CrashLoopBackOff') ? out : undefined;
      }, 90_000, 500);
      expect(stdout).toContain('Back-off restarting failed container web');
      // the previous instance's output, kept when the agent removed it to start the next one
      expect((await hub.cli(['logs', name, '--previous'])).stdout.trim()).toBe('crashing');
    }, 270_000);
  }
});

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON objects */
/**
 * The workload CLI (get/describe of deployments, replicasets, daemonsets, events; scale, set image,
 * rollout, logs, exec, top) against a real API server and SQLite store, with the objects the
 * controllers would write put into the store directly, and a fake node-commands service standing in
 * for the fleet (the fleet path itself is tested in test/hub/fleet and test/hub/api).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, type ApiServer } from '../../../hub/api/index.js';
import { CommandFailedError, type ExecRequest, type LogsRequest, type NodeCommands } from '../../../hub/fleet/index.js';
import { captureIO } from '../../../hub/cli/io.js';
import { runCli } from '../../../hub/cli/program.js';
import { createSqliteStore } from '../../../hub/store/index.js';
import type { Store } from '../../../hub/store/store.js';
import { silentLogger } from '../../../protocol/logger.js';
import { createFakeAuth } from '../api/support.js';

const IMAGE_OLD = 'registry.local/nginx:1.26';
const IMAGE_NEW = 'registry.local/nginx:1.27';

function template(app: string, image: string, hash?: string): any {
  return { metadata: { labels: { app, ...(hash ? { 'pod-template-hash': hash } : {}) } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }] }] } };
}

async function put(store: Store, obj: any, status?: any): Promise<any> {
  const created = await store.create(obj);
  if (status === undefined) return created;
  const st = typeof status === 'function' ? status(created) : status;
  return store.update({ ...created, status: st });
}

async function setStatus(store: Store, kind: string, name: string, status: (o: any) => any): Promise<void> {
  const cur = await store.get<any>({ kind, namespace: 'default', name });
  await store.update({ ...cur, status: status(cur) });
}

/** A Deployment with revisions 1 (IMAGE_OLD) and 2 (IMAGE_NEW, current), rolled out. */
async function putDeployment(store: Store, name: string, opts: { replicas?: number; oldReplicas?: number } = {}): Promise<any> {
  const replicas = opts.replicas ?? 3;
  const d = await put(
    store,
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default', labels: { app: name } }, spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name, IMAGE_NEW) } },
    (o: any) => ({
      observedGeneration: o.metadata.generation,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      unavailableReplicas: 0,
      conditions: [
        { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' },
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' },
      ],
    }),
  );
  const owner = [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata.uid, controller: true }];
  const rs = (hash: string, rev: number, image: string, n: number, cause?: string) =>
    put(
      store,
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace: 'default',
          labels: { app: name, 'pod-template-hash': hash },
          annotations: { 'deployment.kubernetes.io/revision': String(rev), ...(cause ? { 'kubernetes.io/change-cause': cause } : {}) },
          ownerReferences: owner,
        },
        spec: { replicas: n, selector: { matchLabels: { app: name, 'pod-template-hash': hash } }, template: template(name, image, hash) },
      },
      { replicas: n, readyReplicas: n, availableReplicas: n },
    );
  await rs('aaa111', 1, IMAGE_OLD, opts.oldReplicas ?? 0, 'first version');
  await rs('bbb222', 2, IMAGE_NEW, replicas);
  return d;
}

describe('workload CLI against a real API server', () => {
  let dir: string;
  let store: Store;
  let api: ApiServer;
  let env: NodeJS.ProcessEnv;
  const calls: Array<LogsRequest | ExecRequest> = [];
  const commands: NodeCommands = {
    async logs(req) {
      calls.push(req);
      if (req.container === 'nope') throw new CommandFailedError(req.node, 'logs', 'container nope is not valid for pod cw-pod');
      return `hello from ${req.pod}\nline 2\n`;
    },
    async exec(req) {
      calls.push(req);
      return { output: `ran: ${req.argv.join(' ')}\n`, exitCode: req.argv[0] === 'false' ? 1 : 0 };
    },
  };

  const drover = async (args: string[]) => {
    const io = captureIO({ env });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };
  const get = (kind: string, name: string) => store.get<any>({ kind, namespace: kind === 'Node' ? '' : 'default', name });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drover-cw-'));
    store = await createSqliteStore({ path: join(dir, 'state.db'), logger: silentLogger() });
    const auth = createFakeAuth();
    api = createApiServer({ store, auth, logger: silentLogger(), nodeCommands: commands });
    const { port } = await api.listen('127.0.0.1', 0);
    env = { DROVER_SERVER: `http://127.0.0.1:${port}`, DROVER_TOKEN: auth.issue('admin'), DROVER_CONFIG: join(dir, 'none.json') };
    await putDeployment(store, 'web', { oldReplicas: 1 });
    await put(
      store,
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'agentd', namespace: 'default' },
        spec: { selector: { matchLabels: { app: 'agentd' } }, template: { ...template('agentd', IMAGE_OLD), spec: { ...template('agentd', IMAGE_OLD).spec, nodeSelector: { 'kubernetes.io/os': 'linux' } } } },
      },
      (o: any) => ({ observedGeneration: o.metadata.generation, desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 }),
    );
    const ev = (name: string, reason: string, at: string, kind = 'Deployment', obj = 'web') =>
      store.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'default' },
        involvedObject: { kind, name: obj, namespace: 'default' },
        reason,
        message: `${reason} happened`,
        type: 'Normal',
        lastTimestamp: at,
        source: { component: 'deployment-controller' },
      } as any);
    await ev('e-late', 'ScalingReplicaSet', new Date(Date.now() - 20 * 60_000).toISOString());
    await ev('e-early', 'Created', new Date(Date.now() - 5 * 3600_000).toISOString(), 'Pod', 'web-bbb222-x');
    await store.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'cw-pod', namespace: 'default' }, spec: { nodeName: 'cw-n1', containers: [{ name: 'main', image: IMAGE_OLD }] } } as any);
    for (const [name, usage] of [
      ['cw-n1', { cpuPercent: 25, memoryUsedBytes: 512 * 2 ** 20, timestamp: new Date().toISOString() }],
      ['cw-n2', undefined],
    ] as const) {
      await store.create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name, namespace: '' },
        spec: {},
        status: { capacity: { cpu: '4', memory: '2Gi' }, allocatable: { cpu: '4', memory: '2Gi' }, ...(usage ? { usage } : {}) },
      } as any);
    }
  });
  afterAll(async () => {
    await api.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('get deployments, replicasets and daemonsets with kubectl columns, -o wide, name, json', async () => {
    const d = await drover(['get', 'deployments']);
    expect(d.code).toBe(0);
    expect(d.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(d.stdout).toMatch(/\nweb\s+3\/3\s+3\s+3\s+\d+s\n/);
    const wide = await drover(['get', 'deploy', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
    expect(wide.stdout).toMatch(/web\s+3\/3\s+3\s+3\s+\S+\s+web\s+registry\.local\/nginx:1\.27\s+app=web/);

    const rs = await drover(['get', 'rs']);
    expect(rs.stdout.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/);
    expect(rs.stdout).toMatch(/web-bbb222\s+3\s+3\s+3\s+/);
    expect(rs.stdout).toMatch(/web-aaa111\s+1\s+1\s+1\s+/);

    const ds = await drover(['get', 'ds']);
    expect(ds.stdout.split('\n')[0]).toMatch(/^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
    expect(ds.stdout).toMatch(/agentd\s+2\s+2\s+1\s+2\s+1\s+kubernetes\.io\/os=linux\s+\S+/);

    expect((await drover(['get', 'deployments', '-o', 'name'])).stdout).toBe('deployment.apps/web\n');
    const json = JSON.parse((await drover(['get', 'deployment', 'web', '-o', 'json'])).stdout);
    expect(json).toMatchObject({ kind: 'Deployment', metadata: { name: 'web' } });

    const multi = await drover(['get', 'deployments,replicasets']);
    expect(multi.stdout).toContain('deployment.apps/web');
    expect(multi.stdout).toContain('replicaset.apps/web-bbb222');
  });

  it('get events: LAST SEEN TYPE REASON OBJECT MESSAGE, oldest first', async () => {
    const r = await drover(['get', 'events']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    expect(lines[1]).toMatch(/^5h\s+Normal\s+Created\s+pod\/web-bbb222-x\s+Created happened$/);
    expect(lines[2]).toMatch(/^2\dm\s+Normal\s+ScalingReplicaSet\s+deployment\/web\s+ScalingReplicaSet happened$/);
  });

  it('describe deployment and daemonset', async () => {
    const d = await drover(['describe', 'deployment', 'web']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(d.stdout).toMatch(/StrategyType:\s+RollingUpdate/);
    expect(d.stdout).toMatch(/RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/);
    expect(d.stdout).toMatch(/Pod Template:\n\s+Labels:\s+app=web\n\s+Containers:\n\s+web:\n\s+Image:\s+registry\.local\/nginx:1\.27/);
    expect(d.stdout).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(d.stdout).toMatch(/OldReplicaSets:\s+web-aaa111 \(1\/1 replicas created\)/);
    expect(d.stdout).toMatch(/NewReplicaSet:\s+web-bbb222 \(3\/3 replicas created\)/);
    expect(d.stdout).toMatch(/Events:[\s\S]*ScalingReplicaSet/);

    const ds = await drover(['describe', 'ds/agentd']);
    expect(ds.stdout).toMatch(/Desired Number of Nodes Scheduled:\s+2/);
    expect(ds.stdout).toMatch(/Pods Status:\s+1 Ready \/ 1 Not Ready/);
    expect(ds.stdout).toMatch(/Node-Selector:\s+kubernetes\.io\/os=linux/);
  });

  it('scale deployment NAME / deployment/NAME through the scale subresource', async () => {
    await putDeployment(store, 'sc');
    expect(await drover(['scale', 'deployment', 'sc', '--replicas', '5'])).toMatchObject({ code: 0, stdout: 'deployment.apps/sc scaled\n' });
    expect((await get('Deployment', 'sc')).spec.replicas).toBe(5);
    expect((await drover(['scale', 'deploy/sc', '--replicas=0'])).stdout).toBe('deployment.apps/sc scaled\n');
    expect((await get('Deployment', 'sc')).spec.replicas).toBe(0);
    const bad = await drover(['scale', 'ds/agentd', '--replicas', '2']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('scale is not supported for daemonsets');
    expect((await drover(['scale', 'deploy/sc', '--replicas', '-1'])).code).toBe(1);
    expect((await drover(['scale', 'deploy/none', '--replicas', '1'])).stderr).toContain('deployments.apps "none" not found');
  });

  it('set image changes the template image; unknown containers are refused', async () => {
    await putDeployment(store, 'si');
    expect(await drover(['set', 'image', 'deployment/si', `web=${IMAGE_OLD}`])).toMatchObject({ code: 0, stdout: 'deployment.apps/si image updated\n' });
    expect((await get('Deployment', 'si')).spec.template.spec.containers[0].image).toBe(IMAGE_OLD);
    // already that image: nothing written, nothing printed
    const rv = (await get('Deployment', 'si')).metadata.resourceVersion;
    expect((await drover(['set', 'image', 'deployment', 'si', `web=${IMAGE_OLD}`])).stdout).toBe('');
    expect((await get('Deployment', 'si')).metadata.resourceVersion).toBe(rv);
    const bad = await drover(['set', 'image', 'deployment/si', 'nope=x:1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unable to find container named "nope"');
    expect((await drover(['set', 'image', 'ds/agentd', `*=${IMAGE_NEW}`])).stdout).toBe('daemonset.apps/agentd image updated\n');
    expect((await get('DaemonSet', 'agentd')).spec.template.spec.containers[0].image).toBe(IMAGE_NEW);
  });

  it('rollout history lists revisions with their change-cause; --revision shows a template', async () => {
    const r = await drover(['rollout', 'history', 'deployment/web']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deployment\.apps\/web\nREVISION\s+CHANGE-CAUSE\n1\s+first version\n2\s+<none>\n/);
    const one = await drover(['rollout', 'history', 'deployment/web', '--revision', '1']);
    expect(one.stdout).toContain('deployment.apps/web with revision #1');
    expect(one.stdout).toContain(IMAGE_OLD);
    expect(one.stdout).not.toContain('pod-template-hash');
  });

  it('rollout undo copies the previous (or chosen) revision template, without pod-template-hash', async () => {
    await putDeployment(store, 'un');
    expect(await drover(['rollout', 'undo', 'deployment/un'])).toMatchObject({ code: 0, stdout: 'deployment.apps/un rolled back\n' });
    const d = await get('Deployment', 'un');
    expect(d.spec.template.spec.containers[0].image).toBe(IMAGE_OLD);
    expect(d.spec.template.metadata.labels).toEqual({ app: 'un' });
    expect((await drover(['rollout', 'undo', 'deployment/un', '--to-revision', '2'])).stdout).toBe('deployment.apps/un rolled back\n');
    expect((await get('Deployment', 'un')).spec.template.spec.containers[0].image).toBe(IMAGE_NEW);
    expect((await drover(['rollout', 'undo', 'deployment/un', '--to-revision', '2'])).stdout).toBe(
      'deployment.apps/un skipped rollback (current template already matches revision 2)\n',
    );
    const missing = await drover(['rollout', 'undo', 'deployment/un', '--to-revision', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('unable to find specified revision 9 in history');
  });

  it('rollout history and undo of a DaemonSet and a StatefulSet read their ControllerRevisions; rollout status of a StatefulSet', async () => {
    const owned = async (kind: string, name: string, image: string) => {
      const o = await put(store, {
        apiVersion: 'apps/v1',
        kind,
        metadata: { name, namespace: 'default' },
        spec: { ...(kind === 'StatefulSet' ? { replicas: 2, serviceName: name } : {}), selector: { matchLabels: { app: name } }, template: template(name, image) },
      });
      const ref = [{ apiVersion: 'apps/v1', kind, name, uid: o.metadata.uid, controller: true }];
      const rev = (hash: string, revision: number, img: string) =>
        put(store, {
          apiVersion: 'apps/v1',
          kind: 'ControllerRevision',
          metadata: { name: `${name}-${hash}`, namespace: 'default', ownerReferences: ref, annotations: revision === 1 ? { 'kubernetes.io/change-cause': 'first' } : {} },
          data: { spec: { template: { ...template(name, img), $patch: 'replace' } } },
          revision,
        });
      await rev('aaa', 1, IMAGE_OLD);
      await rev('bbb', 2, image);
    };
    await owned('DaemonSet', 'hist-ds', IMAGE_NEW);
    await owned('StatefulSet', 'hist-sts', IMAGE_NEW);
    for (const [kind, name] of [['daemonset', 'hist-ds'], ['statefulset', 'hist-sts']] as const) {
      const h = await drover(['rollout', 'history', `${kind}/${name}`]);
      expect(h.stdout).toMatch(new RegExp(`^${kind}\\.apps/${name}\\nREVISION\\s+CHANGE-CAUSE\\n1\\s+first\\n2\\s+<none>\\n`));
      const one = await drover(['rollout', 'history', `${kind}/${name}`, '--revision', '1']);
      expect(one.stdout).toContain(`${kind}.apps/${name} with revision #1`);
      expect(one.stdout).toContain(IMAGE_OLD);
      expect(one.stdout).not.toContain('$patch');
      expect((await drover(['rollout', 'undo', `${kind}/${name}`])).stdout).toBe(`${kind}.apps/${name} rolled back\n`);
      const kindName = kind === 'daemonset' ? 'DaemonSet' : 'StatefulSet';
      expect((await get(kindName, name)).spec.template).toEqual(template(name, IMAGE_OLD));
      expect((await drover(['rollout', 'undo', `${kind}/${name}`, '--to-revision', '1'])).stdout).toBe(`${kind}.apps/${name} skipped rollback (current template already matches revision 1)\n`);
    }

    const sts = await get('StatefulSet', 'hist-sts');
    await setStatus(store, 'StatefulSet', 'hist-sts', () => ({ observedGeneration: sts.metadata.generation, replicas: 2, readyReplicas: 1, updatedReplicas: 1, currentReplicas: 1, currentRevision: 'hist-sts-bbb', updateRevision: 'hist-sts-aaa' }));
    expect((await drover(['rollout', 'status', 'sts/hist-sts', '--no-watch'])).stdout).toBe('Waiting for 1 pods to be ready...\n');
    await setStatus(store, 'StatefulSet', 'hist-sts', () => ({ observedGeneration: sts.metadata.generation, replicas: 2, readyReplicas: 2, updatedReplicas: 1, currentReplicas: 1, currentRevision: 'hist-sts-bbb', updateRevision: 'hist-sts-aaa' }));
    expect((await drover(['rollout', 'status', 'sts/hist-sts', '--no-watch'])).stdout).toBe('waiting for statefulset rolling update to complete 1 pods at revision hist-sts-aaa...\n');
    await setStatus(store, 'StatefulSet', 'hist-sts', () => ({ observedGeneration: sts.metadata.generation, replicas: 2, readyReplicas: 2, updatedReplicas: 2, currentReplicas: 2, currentRevision: 'hist-sts-aaa', updateRevision: 'hist-sts-aaa' }));
    expect(await drover(['rollout', 'status', 'sts/hist-sts', '--no-watch'])).toMatchObject({ code: 0, stdout: 'statefulset rolling update complete 2 pods at revision hist-sts-aaa...\n' });
    const table = (await drover(['get', 'sts', 'hist-sts'])).stdout;
    expect(table).toMatch(/^NAME\s+READY\s+AGE\nhist-sts\s+2\/2\s+/);
  });

  it('rollout restart, pause and resume', async () => {
    await putDeployment(store, 'pr');
    expect((await drover(['rollout', 'restart', 'deployment/pr'])).stdout).toBe('deployment.apps/pr restarted\n');
    const restartedAt = (await get('Deployment', 'pr')).spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt'];
    expect(Date.parse(restartedAt)).toBeGreaterThan(Date.now() - 60_000);

    expect((await drover(['rollout', 'pause', 'deployment/pr'])).stdout).toBe('deployment.apps/pr paused\n');
    expect((await get('Deployment', 'pr')).spec.paused).toBe(true);
    expect((await drover(['rollout', 'pause', 'deployment/pr'])).stderr).toContain('deployments.apps "pr" is already paused');
    expect((await drover(['rollout', 'undo', 'deployment/pr'])).stderr).toContain('you cannot rollback a paused deployment');
    expect((await drover(['rollout', 'restart', 'deployment/pr'])).stderr).toContain("can't restart paused deployment");
    expect((await drover(['rollout', 'resume', 'deployment/pr'])).stdout).toBe('deployment.apps/pr resumed\n');
    expect((await get('Deployment', 'pr')).spec.paused).toBeUndefined();
    expect((await drover(['rollout', 'restart', 'daemonset/agentd'])).stdout).toBe('daemonset.apps/agentd restarted\n');
  });

  it('rollout status: done at once, waits through progress, fails on the progress deadline and on --timeout', async () => {
    const done = await drover(['rollout', 'status', 'deployment/web']);
    expect(done).toMatchObject({ code: 0, stdout: 'deployment "web" successfully rolled out\n' });

    await putDeployment(store, 'rs-wait');
    await setStatus(store, 'Deployment', 'rs-wait', (o) => ({ ...o.status, updatedReplicas: 1, replicas: 4, availableReplicas: 1 }));
    const io = captureIO({ env });
    const running = runCli(['rollout', 'status', 'deployment/rs-wait', '--timeout', '30s'], io);
    await expect.poll(() => io.stdout()).toContain('1 out of 3 new replicas have been updated');
    await setStatus(store, 'Deployment', 'rs-wait', (o) => ({ ...o.status, updatedReplicas: 3, replicas: 3, availableReplicas: 1 }));
    await expect.poll(() => io.stdout()).toContain('1 of 3 updated replicas are available');
    await setStatus(store, 'Deployment', 'rs-wait', (o) => ({ ...o.status, availableReplicas: 3 }));
    expect(await running).toBe(0);
    expect(io.stdout().trim().split('\n')).toEqual([
      'Waiting for deployment "rs-wait" rollout to finish: 1 out of 3 new replicas have been updated...',
      'Waiting for deployment "rs-wait" rollout to finish: 1 of 3 updated replicas are available...',
      'deployment "rs-wait" successfully rolled out',
    ]);

    // a spec change not yet observed, then a progress deadline
    await putDeployment(store, 'rs-fail');
    const d = await get('Deployment', 'rs-fail');
    await store.update({ ...d, spec: { ...d.spec, replicas: 4 } });
    const io2 = captureIO({ env });
    const failing = runCli(['rollout', 'status', 'deploy/rs-fail'], io2);
    await expect.poll(() => io2.stdout()).toContain('Waiting for deployment spec update to be observed...');
    await setStatus(store, 'Deployment', 'rs-fail', (o) => ({
      ...o.status,
      observedGeneration: o.metadata.generation,
      conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
    }));
    expect(await failing).toBe(1);
    expect(io2.stderr()).toBe('error: deployment "rs-fail" exceeded its progress deadline\n');

    const timedOut = await drover(['rollout', 'status', 'deployment/rs-wait-none', '--timeout', '1s']);
    expect(timedOut.code).toBe(1); // not found
    await putDeployment(store, 'rs-stuck');
    await setStatus(store, 'Deployment', 'rs-stuck', (o) => ({ ...o.status, availableReplicas: 0 }));
    const stuck = await drover(['rollout', 'status', 'deployment/rs-stuck', '--timeout', '1s']);
    expect(stuck.code).toBe(1);
    expect(stuck.stdout).toContain('0 of 3 updated replicas are available');
    expect(stuck.stderr).toContain('timed out waiting for the rollout of deployment.apps/rs-stuck');
    const once = await drover(['rollout', 'status', 'deployment/rs-stuck', '--no-watch']);
    expect(once).toMatchObject({ code: 0, stdout: 'Waiting for deployment "rs-stuck" rollout to finish: 0 of 3 updated replicas are available...\n' });
  });

  it('rollout status of a daemonset', async () => {
    await setStatus(store, 'DaemonSet', 'agentd', (o) => ({ ...o.status, observedGeneration: o.metadata.generation, numberAvailable: 2, updatedNumberScheduled: 2 }));
    expect((await drover(['rollout', 'status', 'ds/agentd'])).stdout).toBe('daemon set "agentd" successfully rolled out\n');
  });

  it('logs and exec go through the API to the node commands', async () => {
    const logs = await drover(['logs', 'cw-pod', '--tail', '2', '-c', 'main']);
    expect(logs).toMatchObject({ code: 0, stdout: 'hello from cw-pod\nline 2\n' });
    expect(calls.at(-1)).toMatchObject({ node: 'cw-n1', namespace: 'default', pod: 'cw-pod', container: 'main', tailLines: 2 });
    const refused = await drover(['logs', 'pod/cw-pod', '-c', 'nope']);
    expect(refused).toMatchObject({ code: 1, stderr: 'error: container nope is not valid for pod cw-pod\n' });

    const exec = await drover(['exec', 'cw-pod', '--', 'cat', '/www/index.html']);
    expect(exec).toMatchObject({ code: 0, stdout: 'ran: cat /www/index.html\n' });
    expect(calls.at(-1)).toMatchObject({ argv: ['cat', '/www/index.html'] });
    const failed = await drover(['exec', 'cw-pod', '--', 'false']);
    expect(failed).toMatchObject({ code: 1, stderr: 'command terminated with exit code 1\n' });
    expect((await drover(['exec', '-it', 'cw-pod', '--', 'sh'])).stderr).toContain('interactive exec (-i/-t) is not supported');
    expect((await drover(['logs', 'nope'])).stderr).toContain('pods "nope" not found');
  });

  it('top nodes prints usage from the node status; nodes without usage are <unknown>, last', async () => {
    const r = await drover(['top', 'nodes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(['NAME    CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%', 'cw-n1   1000m        25%         512Mi           25%', 'cw-n2   <unknown>    <unknown>   <unknown>       <unknown>', ''].join('\n'));
    expect((await drover(['top', 'node', 'cw-n1', '--no-headers'])).stdout).toMatch(/^cw-n1\s+1000m\s+25%\s+512Mi\s+25%\n$/);
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON output */
import { writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIO } from '../../../hub/cli/io.js';
import { buildProgram, runCli } from '../../../hub/cli/program.js';
import { pod, putNode, startTestApi, type TestApi } from '../api/support.js';

const MANIFEST = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
    - name: web
      image: drover.local/busybox:test
      ports:
        - containerPort: 80
          hostPort: 8080
---
apiVersion: v1
kind: Namespace
metadata:
  name: team-b
`;

describe('drover CLI against a real API server', () => {
  let api: TestApi;
  let env: NodeJS.ProcessEnv;
  const drover = async (args: string[], stdin?: string, extraEnv: NodeJS.ProcessEnv = {}) => {
    const io = captureIO({ env: { ...env, ...extraEnv }, stdin });
    const code = await runCli(args, io);
    return { code, stdout: io.stdout(), stderr: io.stderr() };
  };

  beforeAll(async () => {
    api = await startTestApi();
    env = { DROVER_SERVER: api.url, DROVER_TOKEN: api.tokens.admin, DROVER_CONFIG: join(api.dir, 'none.json') };
    await putNode(api.store, 'pi-1', {
      capacity: { cpu: '4', memory: '3906252Ki' },
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [{ type: 'InternalIP', address: '192.168.1.20' }],
      nodeInfo: { architecture: 'arm64', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.6.20', kubeletVersion: 'drover-0.1.0' },
    });
  });
  afterAll(async () => {
    await api.close();
  });

  it('apply creates, then reports unchanged, then configured', async () => {
    const file = join(api.dir, 'web.yaml');
    await writeFile(file, MANIFEST);
    const first = await drover(['apply', '-f', file]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('pod/web created\nnamespace/team-b created\n');
    expect((await drover(['apply', '-f', file])).stdout).toBe('pod/web unchanged\nnamespace/team-b unchanged\n');
    const changed = await drover(['apply', '-f', '-'], MANIFEST.replace('app: web', 'app: web2'));
    expect(changed.stdout).toContain('pod/web configured');
    expect(changed.stdout).toContain('namespace/team-b unchanged');
    const stored = await api.call('GET', '/api/v1/namespaces/default/pods/web');
    expect(stored.body.metadata.labels).toEqual({ app: 'web2' });
  });

  it('apply keeps what the hub set (spec.nodeName) and removes fields dropped from the manifest', async () => {
    const m = MANIFEST.split('---')[0]!.replace('name: web', 'name: bound').replace('    app: web\n', '    app: web\n    extra: "yes"\n');
    expect((await drover(['apply', '-f', '-'], m)).stdout).toBe('pod/bound created\n');
    // the scheduler binds it
    const live = await api.store.get<any>({ kind: 'Pod', namespace: 'default', name: 'bound' });
    live.spec.nodeName = 'pi-1';
    await api.store.update(live);
    const r = await drover(['apply', '-f', '-'], m.replace('    extra: "yes"\n', ''));
    expect(r.stdout).toBe('pod/bound configured\n');
    const after = (await api.call('GET', '/api/v1/namespaces/default/pods/bound')).body;
    expect(after.spec.nodeName).toBe('pi-1');
    expect(after.metadata.labels).toEqual({ app: 'web' });
  });

  it('apply refuses a bad manifest with one line naming the file, document and field, storing nothing', async () => {
    const bad = MANIFEST.replace('name: web', 'name: bad').replace('image:', 'imagee:');
    const r = await drover(['apply', '-f', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('error: stdin (document 1) Pod/bad: spec.containers[0].imagee: unknown field');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/bad')).status).toBe(404);
  });

  it('get prints kubectl-like tables', async () => {
    const pods = await drover(['get', 'pods']);
    const lines = pods.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
    expect(pods.stdout).toMatch(/\nweb\s+0\/1\s+Pending\s+0\s+\d+s/);
    // columns are aligned: every row's STATUS starts where the header's does
    const col = lines[0]!.indexOf('STATUS');
    for (const l of lines.slice(1)) expect(l.slice(col)).toMatch(/^(Pending|Running)/);

    const wide = await drover(['get', 'po', '-o', 'wide']);
    expect(wide.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+PORTS$/);
    expect(wide.stdout).toMatch(/bound\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+pi-1\s+8080:80\/TCP/);

    const nodes = await drover(['get', 'nodes']);
    expect(nodes.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\n/);
    expect(nodes.stdout).toMatch(/pi-1\s+Ready\s+<none>\s+\S+\s+drover-0\.1\.0/);
    const labelled = await drover(['get', 'nodes', '-L', 'kubernetes.io/hostname,drover.io/agent-version', '-L', 'site']);
    expect(labelled.stdout).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+HOSTNAME\s+AGENT-VERSION\s+SITE\n/);
    expect(labelled.stdout).toMatch(/pi-1\s+Ready\s+<none>\s+\S+\s+drover-0\.1\.0\s+pi-1\s*\n/);
    const nodesWide = await drover(['get', 'no', '-o', 'wide']);
    expect(nodesWide.stdout.split('\n')[0]).toMatch(/INTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME\s+CPU\s+MEMORY\s+ARCH$/);
    expect(nodesWide.stdout).toContain('192.168.1.20');
    expect(nodesWide.stdout).toMatch(/arm64\s*$/m);

    const all = await drover(['get', 'pods', '-A']);
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+READY/);
    const ns = await drover(['get', 'ns']);
    expect(ns.stdout).toMatch(/team-b\s+Active/);
    const multi = await drover(['get', 'pods,ns']);
    expect(multi.stdout).toContain('pod/web');
    expect(multi.stdout).toContain('namespace/team-b');
    expect((await drover(['get', 'pods', '-n', 'team-b'])).stderr).toBe('No resources found in team-b namespace.\n');
  });

  it('get shows Terminating and container waiting reasons in STATUS', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('crashy', { nodeName: 'pi-1' }) });
    await api.call('PATCH', '/api/v1/namespaces/default/pods/crashy/status', {
      contentType: 'application/merge-patch+json',
      body: { status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: false, restartCount: 4, image: 'x', state: { waiting: { reason: 'CrashLoopBackOff' } } }] } },
    });
    expect((await drover(['get', 'pod', 'crashy'])).stdout).toMatch(/crashy\s+0\/1\s+CrashLoopBackOff\s+4\s/);
    await drover(['delete', 'pod', 'crashy', '--wait=false']);
    expect((await drover(['get', 'pod', 'crashy'])).stdout).toMatch(/crashy\s+0\/1\s+Terminating\s+4\s/);
  });

  it('get -o json prints one object, or a List for several; -o yaml and -o name', async () => {
    const one = JSON.parse((await drover(['get', 'pod', 'web', '-o', 'json'])).stdout);
    expect(one).toMatchObject({ kind: 'Pod', metadata: { name: 'web' } });
    // managedFields (the API records the writer of every write) are left out unless asked for, as kubectl
    expect(one.metadata.managedFields).toBeUndefined();
    const managed = JSON.parse((await drover(['get', 'pod', 'web', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(managed.metadata.managedFields[0]).toMatchObject({ operation: 'Update', fieldsType: 'FieldsV1' });
    const list = JSON.parse((await drover(['get', 'pods', '-o', 'json'])).stdout);
    expect(list).toMatchObject({ apiVersion: 'v1', kind: 'List' });
    expect(list.items.map((p: any) => p.metadata.name)).toContain('web');
    const yaml = parseYaml((await drover(['get', 'node', 'pi-1', '-o', 'yaml'])).stdout);
    expect(yaml).toMatchObject({ kind: 'Node', metadata: { name: 'pi-1' }, status: { capacity: { cpu: '4' } } });
    expect((await drover(['get', 'pods', '-l', 'app=web2', '-o', 'name'])).stdout).toBe('pod/web\n');
  });

  it('describe shows a pod with its containers, conditions and events, and a node with its pods', async () => {
    await api.store.create({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.1', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
      reason: 'FailedScheduling',
      message: 'no nodes match',
      type: 'Warning',
      source: { component: 'default-scheduler' },
      lastTimestamp: new Date().toISOString(),
    });
    const d = await drover(['describe', 'pod', 'web']);
    expect(d.code).toBe(0);
    expect(d.stdout).toMatch(/^Name:\s+web$/m);
    expect(d.stdout).toMatch(/^Namespace:\s+default$/m);
    expect(d.stdout).toMatch(/^Node:\s+<none>$/m);
    expect(d.stdout).toMatch(/^Status:\s+Pending$/m);
    expect(d.stdout).toMatch(/^Containers:\n {2}web:\n {4}Image:\s+drover\.local\/busybox:test$/m);
    expect(d.stdout).toMatch(/Host Port:\s+8080\/TCP/);
    expect(d.stdout).toMatch(/Restart Count:\s+0/);
    expect(d.stdout).toMatch(/Warning\s+FailedScheduling\s+\S+\s+default-scheduler\s+no nodes match/);
    expect(d.stdout).not.toContain('last-applied-configuration');

    const n = await drover(['describe', 'node', 'pi-1']);
    expect(n.stdout).toMatch(/^Unschedulable:\s+false$/m);
    expect(n.stdout).toMatch(/InternalIP:\s+192\.168\.1\.20/);
    expect(n.stdout).toMatch(/^Capacity:\n {2}cpu:\s+4$/m);
    expect(n.stdout).toMatch(/Architecture:\s+arm64/);
    expect(n.stdout).toMatch(/Non-terminated Pods:\s+\(2 in total\)/);
    expect(n.stdout).toMatch(/default\s+bound\s+Pending/);
  });

  it('delete prints what it deleted and waits until the object is gone', async () => {
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('slow', { nodeName: 'pi-1' }) });
    // play the fleet layer: remove the terminating pod a moment after the API marked it
    const fleet = (async () => {
      for (;;) {
        const p = await api.store.get<any>({ kind: 'Pod', namespace: 'default', name: 'slow' });
        if (p?.metadata.deletionTimestamp) {
          await new Promise((r) => setTimeout(r, 700));
          await api.store.delete({ kind: 'Pod', namespace: 'default', name: 'slow' });
          return Date.now();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const r = await drover(['delete', 'pod', 'slow']);
    const finished = Date.now();
    expect(r).toMatchObject({ code: 0, stdout: 'pod "slow" deleted\n' });
    expect(finished).toBeGreaterThanOrEqual(await fleet);
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/slow')).status).toBe(404);

    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('forced', { nodeName: 'pi-1' }) });
    const f = await drover(['delete', 'pod/forced', '--force']);
    expect(f.stdout).toBe('pod "forced" deleted\n');
    expect((await api.call('GET', '/api/v1/namespaces/default/pods/forced')).status).toBe(404);

    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('stuck', { nodeName: 'pi-1' }) });
    const t = await drover(['delete', 'pod', 'stuck', '--timeout', '1s']);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain('timed out waiting for pod "stuck" to be deleted');
  });

  it('reports errors as one line and exit code 1', async () => {
    const nf = await drover(['get', 'pod', 'nope']);
    expect(nf).toMatchObject({ code: 1, stdout: '', stderr: 'error: pods "nope" not found\n' });
    const forbidden = await drover(['delete', 'pod', 'web'], undefined, { DROVER_TOKEN: api.tokens.view });
    expect(forbidden.stderr).toMatch(/^error: pods "web" is forbidden: token "tok3" \(role view\) cannot delete/);
    const unknownKind = await drover(['get', 'widgets']);
    expect(unknownKind.stderr).toBe('error: the server doesn\'t have a resource type "widgets"\n');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const { port } = closed.address() as AddressInfo;
    await new Promise((r) => closed.close(r));
    const down = await drover(['get', 'pods'], undefined, { DROVER_SERVER: `http://127.0.0.1:${port}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(new RegExp(`^error: cannot reach the Drover hub at http://127\\.0\\.0\\.1:${port} \\(connection refused\\)\\..*--server, DROVER_SERVER`));
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    const debug = await drover(['get', 'pods'], undefined, { DROVER_SERVER: `http://127.0.0.1:${port}`, DROVER_DEBUG: '1' });
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('token create prints only the token; list and revoke', async () => {
    const created = await drover(['token', 'create', '--ttl', '30m', '--description', 'lab']);
    expect(created.stdout).toMatch(/^drover-join\.\S+\n$/);
    const list = await drover(['token', 'list']);
    expect(list.stdout).toMatch(/^ID\s+EXPIRES IN\s+USAGE\s+USES\s+DESCRIPTION\n/);
    expect(list.stdout).toMatch(/\s(29m|30m)\S*\s+reusable\s+0\s+lab/);
    const id = created.stdout.split('.')[1]!;
    expect((await drover(['token', 'revoke', id])).stdout).toBe(`join token "${id}" revoked\n`);
    expect((await drover(['token', 'list'])).stdout).not.toContain(id);
  });

  it('token create --role view makes an API token that may read but not write', async () => {
    const created = await drover(['token', 'create', '--role', 'view']);
    expect(created.stdout).toMatch(/^drover-api\.\S+\n$/);
    const viewer = { DROVER_TOKEN: created.stdout.trim() };
    expect((await drover(['get', 'ns', 'default', '-o', 'name'], undefined, viewer)).stdout).toBe('namespace/default\n');
    const write = await drover(['apply', '-f', '-'], MANIFEST.split('---')[0]!.replace('name: web', 'name: viewer-web'), viewer);
    expect(write.code).toBe(1);
    expect(write.stderr).toMatch(/forbidden/);
    const bad = await drover(['token', 'create', '--role', 'root']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--role must be admin, edit or view/);
  });

  it('buildProgram can be driven directly with parseAsync', async () => {
    const io = captureIO({ env });
    await buildProgram(io).parseAsync(['get', 'ns', 'default', '-o', 'name'], { from: 'user' });
    expect(io.stdout()).toBe('namespace/default\n');
  });
});

import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configVolumeFiles } from '../../../agent/pods/config-volume.js';
import { createContainerRecords } from '../../../agent/pods/container-records.js';
import { ContainerConfigError } from '../../../agent/errors.js';
import { configLookupFrom } from '../../../agent/pods/pod-config.js';
import { podUid } from '../../../agent/desired-set.js';
import { emptyDirPath, toContainerSpec } from '../../../agent/pods/pod-runtime.js';
import { preparePodVolumes, removePodDir } from '../../../agent/pods/pod-volumes.js';
import { createReconciler } from '../../../agent/pods/reconciler.js';
import { computePodStatus, podsToReport } from '../../../agent/pods/pod-status.js';
import type { Observation } from '../../../agent/pods/reconciler.js';
import { silentLogger } from '../../../protocol/logger.js';
import type { ConfigData } from '../../../protocol/messages.js';
import type { Container, Pod } from '../../../protocol/objects/pod.js';
import { createFakeRuntime } from '../../../runtime-adapters/fake/fake.js';
import type { ContainerSpec } from '../../../runtime-adapters/runtime.js';
import { desiredSet, makePod, NODE, tempDir, TEST_IMAGE } from '../helpers.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cm = (name: string, data: Record<string, string>, namespace = 'default'): ConfigData => ({
  kind: 'ConfigMap',
  namespace,
  name,
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const secret = (name: string, data: Record<string, string>, namespace = 'default'): ConfigData => ({ ...cm(name, data, namespace), kind: 'Secret' });
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

function envPod(container: Partial<Container>): Pod {
  return makePod('env', { containers: [{ name: 'main', image: TEST_IMAGE, ...container }] });
}

describe('env from ConfigMaps and Secrets', () => {
  const config = [
    cm('app', { greeting: 'hello', 'not valid!': 'x', LEVEL: 'debug' }),
    secret('creds', { password: 's3cr3t', user: 'admin' }),
    cm('app', { greeting: 'other namespace' }, 'other'),
  ];
  const ctx = { nodeName: NODE, dataDir: '/var/lib/drover-agent', config: configLookupFrom(() => config) };
  const envOf = (pod: Pod) => toContainerSpec(pod, pod.spec.containers[0]!, ctx).env;

  it('maps configMapKeyRef and secretKeyRef values from the pod’s namespace', () => {
    const pod = envPod({
      env: [
        { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app', key: 'greeting' } } },
        { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
        { name: 'MSG', value: '$(GREETING) world' },
      ],
    });
    expect(envOf(pod)).toEqual({ GREETING: 'hello', PASSWORD: 's3cr3t', MSG: 'hello world' });
  });

  it('maps envFrom with its prefix, skips invalid names, and lets env override it', () => {
    const pod = envPod({
      envFrom: [{ configMapRef: { name: 'app' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }],
      env: [{ name: 'LEVEL', value: 'info' }],
    });
    expect(envOf(pod)).toEqual({ greeting: 'hello', LEVEL: 'info', DB_password: 's3cr3t', DB_user: 'admin' });
  });

  it('fails with the kubelet’s messages for a missing object or key, and skips optional ones', () => {
    const fails = (c: Partial<Container>) => {
      try {
        envOf(envPod(c));
      } catch (err) {
        expect(err).toBeInstanceOf(ContainerConfigError);
        return (err as Error).message;
      }
      return 'no error';
    };
    expect(fails({ env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }] })).toBe('configmap "x" not found');
    expect(fails({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] })).toBe('secret "nope" not found');
    expect(fails({ envFrom: [{ configMapRef: { name: 'gone' } }] })).toBe('configmap "gone" not found');
    expect(fails({ env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'token' } } }] })).toBe("couldn't find key token in Secret default/creds");
    const optional = envPod({
      env: [
        { name: 'X', valueFrom: { configMapKeyRef: { name: 'x', key: 'k', optional: true } } },
        { name: 'Y', valueFrom: { secretKeyRef: { name: 'creds', key: 'token', optional: true } } },
      ],
      envFrom: [{ secretRef: { name: 'gone', optional: true } }],
    });
    expect(envOf(optional)).toEqual({});
  });

  it('mounts configMap and secret volumes read-only from the pod’s directory', () => {
    const pod = makePod('vol', {
      uid: 'u-vol',
      containers: [{ name: 'main', image: TEST_IMAGE, volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg' }, { name: 'sec', mountPath: '/etc/sec', readOnly: false }] }],
      spec: { volumes: [{ name: 'cfg', configMap: { name: 'app' } }, { name: 'sec', secret: { secretName: 'creds' } }] },
    });
    expect(toContainerSpec(pod, pod.spec.containers[0]!, ctx).mounts).toEqual([
      { hostPath: '/var/lib/drover-agent/pods/u-vol/volumes/cfg', containerPath: '/etc/cfg', readOnly: true },
      { hostPath: '/var/lib/drover-agent/pods/u-vol/volumes/sec', containerPath: '/etc/sec', readOnly: true },
    ]);
  });
});

describe('configMap and secret volume files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  const volumePod = (volumes: NonNullable<Pod['spec']['volumes']>): Pod =>
    makePod('files', {
      uid: 'u-files',
      containers: [{ name: 'main', image: TEST_IMAGE, volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: `/${v.name}` })) }],
      spec: { volumes },
    });
  const volumeDir = (name: string) => emptyDirPath(dir, 'u-files', name);

  it('writes one file per key: ConfigMaps 0644 in 0755, Secrets 0600 in 0700', async () => {
    let config = [cm('app', { 'a.conf': 'x=1', 'b.txt': 'bee' }), secret('creds', { password: 's3cr3t' })];
    const pod = volumePod([
      { name: 'cfg', configMap: { name: 'app' } },
      { name: 'sec', secret: { secretName: 'creds' } },
    ]);
    await preparePodVolumes(pod, dir, configLookupFrom(() => config));
    expect((await readdir(volumeDir('cfg'))).sort()).toEqual(['a.conf', 'b.txt']);
    expect(await readFile(join(volumeDir('cfg'), 'a.conf'), 'utf8')).toBe('x=1');
    expect(await modeOf(volumeDir('cfg'))).toBe(0o755);
    expect(await modeOf(join(volumeDir('cfg'), 'a.conf'))).toBe(0o644);
    expect(await readFile(join(volumeDir('sec'), 'password'), 'utf8')).toBe('s3cr3t');
    expect(await modeOf(volumeDir('sec'))).toBe(0o700);
    expect(await modeOf(join(volumeDir('sec'), 'password'))).toBe(0o600);

    // a changed value is rewritten, a removed key loses its file, a new key gets one
    config = [cm('app', { 'a.conf': 'x=2', 'c.txt': 'sea' }), secret('creds', { password: 'rotated' })];
    await preparePodVolumes(pod, dir, configLookupFrom(() => config));
    expect((await readdir(volumeDir('cfg'))).sort()).toEqual(['a.conf', 'c.txt']);
    expect(await readFile(join(volumeDir('cfg'), 'a.conf'), 'utf8')).toBe('x=2');
    expect(await readFile(join(volumeDir('sec'), 'password'), 'utf8')).toBe('rotated');

    await removePodDir(dir, 'u-files');
    await expect(stat(volumeDir('sec'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('honours items (paths, per-item mode) and defaultMode', async () => {
    const config = [cm('app', { 'a.conf': 'x=1', 'b.txt': 'bee' }), secret('creds', { password: 's3cr3t', user: 'admin' })];
    const pod = volumePod([
      { name: 'cfg', configMap: { name: 'app', defaultMode: 0o640, items: [{ key: 'a.conf', path: 'conf/app.conf' }, { key: 'b.txt', path: 'b', mode: 0o400 }] } },
      { name: 'sec', secret: { secretName: 'creds', defaultMode: 0o644 } },
    ]);
    await preparePodVolumes(pod, dir, configLookupFrom(() => config));
    expect(await readFile(join(volumeDir('cfg'), 'conf/app.conf'), 'utf8')).toBe('x=1');
    expect(await modeOf(join(volumeDir('cfg'), 'conf/app.conf'))).toBe(0o640);
    expect(await modeOf(join(volumeDir('cfg'), 'b'))).toBe(0o400);
    expect((await readdir(volumeDir('cfg'))).sort()).toEqual(['b', 'conf']);
    expect(await modeOf(join(volumeDir('sec'), 'user'))).toBe(0o644);
  });

  it('refuses a missing object or item key unless optional, and item paths escaping the volume', async () => {
    const config = [cm('app', { k: 'v' })];
    const prepare = (volumes: NonNullable<Pod['spec']['volumes']>) => preparePodVolumes(volumePod(volumes), dir, configLookupFrom(() => config));
    await expect(prepare([{ name: 'cfg', configMap: { name: 'x' } }])).rejects.toThrow(new ContainerConfigError('configmap "x" not found'));
    await expect(prepare([{ name: 'sec', secret: { secretName: 'y' } }])).rejects.toThrow('secret "y" not found');
    await expect(prepare([{ name: 'cfg', configMap: { name: 'app', items: [{ key: 'nope', path: 'p' }] } }])).rejects.toThrow('references non-existent key: nope');
    await expect(prepare([{ name: 'cfg', configMap: { name: 'app', items: [{ key: 'k', path: '../escape' }] } }])).rejects.toThrow(ContainerConfigError);
    await expect(prepare([{ name: 'cfg', configMap: { name: 'app', defaultMode: 644 } }])).rejects.toThrow(/not a file mode/);
    await prepare([{ name: 'opt', secret: { secretName: 'y', optional: true } }]);
    expect(await readdir(volumeDir('opt'))).toEqual([]);
  });

  it('removes stray files left in the volume directory', async () => {
    const config = [cm('app', { k: 'v' })];
    await mkdir(join(volumeDir('cfg'), 'old'), { recursive: true });
    await writeFile(join(volumeDir('cfg'), 'old', 'stale'), 'x');
    await writeFile(join(volumeDir('cfg'), '..tmp.tmp'), 'x');
    await preparePodVolumes(volumePod([{ name: 'cfg', configMap: { name: 'app' } }]), dir, configLookupFrom(() => config));
    expect(await readdir(volumeDir('cfg'))).toEqual(['k']);
  });

  it('computes files purely (for an optional source that is absent: none)', () => {
    expect(configVolumeFiles({ name: 'v', secret: { secretName: 's', optional: true } }, undefined)).toEqual([]);
    expect(configVolumeFiles({ name: 'v', configMap: { name: 'c' } }, cm('c', { k: 'v' }))).toEqual([{ path: 'k', content: Buffer.from('v'), mode: 0o644 }]);
  });
});

describe('reconciler with config (fake runtime)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it('starts a container once its config arrives, keeps it running when values change, and updates volume files', async () => {
    const fake = createFakeRuntime();
    const created: ContainerSpec[] = [];
    const runtime = { ...fake, create: (spec: ContainerSpec) => (created.push(spec), fake.create(spec)) };
    const records = createContainerRecords({ dataDir: dir, logger: silentLogger() });
    await records.load();
    let observation: Observation | undefined;
    const reconciler = createReconciler({ runtime, records, nodeName: NODE, dataDir: dir, logger: silentLogger(), onObserved: (o) => (observation = o) });
    const pod = makePod('cfg-web', {
      containers: [
        {
          name: 'main',
          image: TEST_IMAGE,
          command: ['sleep', '3600'],
          env: [{ name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app', key: 'greeting' } } }],
          volumeMounts: [{ name: 'sec', mountPath: '/sec' }],
        },
      ],
      spec: { volumes: [{ name: 'sec', secret: { secretName: 'creds' } }] },
    });
    const waiting = () => {
      const r = podsToReport(observation!).find((p) => p.pod.metadata.name === 'cfg-web')!;
      const status = computePodStatus({ pod: r.pod, containers: r.containers, record: (c) => records.peek(r.uid, c), runtimeName: 'fake', hostIP: '192.0.2.1', now: new Date().toISOString() });
      return status.containerStatuses?.[0]?.state?.waiting;
    };

    reconciler.setDesired({ ...desiredSet(1, [pod]), config: [cm('app', { greeting: 'hi' })] });
    await reconciler.reconcileOnce();
    expect(waiting()).toEqual({ reason: 'CreateContainerConfigError', message: 'secret "creds" not found' });
    expect(created).toEqual([]);

    reconciler.setDesired({ ...desiredSet(2, [pod]), config: [cm('app', { greeting: 'hi' }), secret('creds', { password: 'one' })] });
    await reconciler.reconcileOnce();
    expect(created).toHaveLength(1);
    expect(created[0]!.env).toEqual({ GREETING: 'hi' });
    const file = join(emptyDirPath(dir, podUid(pod), 'sec'), 'password');
    expect(await readFile(file, 'utf8')).toBe('one');

    reconciler.setDesired({ ...desiredSet(3, [pod]), config: [cm('app', { greeting: 'changed' }), secret('creds', { password: 'two' })] });
    await reconciler.reconcileOnce();
    expect(await readFile(file, 'utf8')).toBe('two');
    expect(created).toHaveLength(1); // env changes need a restart, as in Kubernetes
    expect((await fake.list({}))[0]?.state).toBe('running');

    reconciler.setDesired(desiredSet(4, []));
    await reconciler.reconcileOnce();
    await reconciler.reconcileOnce();
    await expect(stat(file)).rejects.toMatchObject({ code: 'ENOENT' });
    await reconciler.stop();
    await fake.close();
  });
});

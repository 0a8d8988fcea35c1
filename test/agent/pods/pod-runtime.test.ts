import { describe, expect, it } from 'vitest';
import {
  containerRuntimeName,
  containerSpecHash,
  emptyDirPath,
  expandReferences,
  graceSecondsOf,
  pullPolicyOf,
  toContainerSpec,
} from '../../../agent/pods/pod-runtime.js';
import { ContainerConfigError } from '../../../agent/errors.js';
import { RUNTIME_LABELS } from '../../../protocol/pod-helpers.js';
import { makePod, NODE, TEST_IMAGE } from '../helpers.js';

const ctx = { nodeName: NODE, dataDir: '/var/lib/drover-agent' };

describe('pod -> ContainerSpec', () => {
  it('names the container drover_<ns>_<pod>_<container>_<uid first 8>', () => {
    const pod = makePod('web', { uid: '3f2b8c1d-aaaa-bbbb-cccc-000000000000' });
    expect(containerRuntimeName(pod, 'main')).toBe('drover_default_web_main_3f2b8c1d');
  });

  it('labels it with the runtime labels, including a spec hash', () => {
    const pod = makePod('web');
    const spec = toContainerSpec(pod, pod.spec.containers[0]!, ctx);
    expect(spec.labels).toEqual({
      [RUNTIME_LABELS.managed]: 'true',
      [RUNTIME_LABELS.node]: NODE,
      [RUNTIME_LABELS.podUid]: pod.metadata.uid,
      [RUNTIME_LABELS.podName]: 'web',
      [RUNTIME_LABELS.podNamespace]: 'default',
      [RUNTIME_LABELS.container]: 'main',
      [RUNTIME_LABELS.specHash]: containerSpecHash(pod, pod.spec.containers[0]!),
    });
    expect(spec.labels[RUNTIME_LABELS.specHash]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('carries stdin, stdinOnce (only with stdin) and tty to the runtime', () => {
    const pod = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, stdin: true, stdinOnce: true, tty: true }] });
    const spec = toContainerSpec(pod, pod.spec.containers[0]!, ctx);
    expect([spec.stdin, spec.stdinOnce, spec.tty]).toEqual([true, true, true]);
    const once = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, stdinOnce: true }] });
    const plain = toContainerSpec(once, once.spec.containers[0]!, ctx);
    expect([plain.stdin, plain.stdinOnce, plain.tty]).toEqual([undefined, undefined, undefined]);
  });

  it('maps command, args, env, ports, limits, hostNetwork and workingDir', () => {
    const pod = makePod('web', {
      containers: [
        {
          name: 'main',
          image: TEST_IMAGE,
          command: ['sh', '-c'],
          args: ['echo $(GREETING) $$(NOT) $(MISSING)'],
          workingDir: '/srv',
          env: [
            { name: 'NAME', value: 'world' },
            { name: 'GREETING', value: 'hello-$(NAME)' },
          ],
          ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
          resources: { limits: { cpu: '500m', memory: '64Mi' } },
        },
      ],
    });
    const spec = toContainerSpec(pod, pod.spec.containers[0]!, ctx);
    expect(spec.command).toEqual(['sh', '-c']);
    expect(spec.args).toEqual(['echo hello-world $(NOT) $(MISSING)']);
    expect(spec.env).toEqual({ NAME: 'world', GREETING: 'hello-world' });
    expect(spec.workingDir).toBe('/srv');
    expect(spec.ports).toEqual([
      { containerPort: 80, hostPort: 8080, protocol: 'TCP' },
      { containerPort: 53, protocol: 'UDP' },
    ]);
    expect(spec.cpuLimitMillis).toBe(500);
    expect(spec.memoryLimitBytes).toBe(64 * 2 ** 20);
    expect(spec.hostNetwork).toBe(false);
  });

  it('mounts hostPath and emptyDir volumes (emptyDir under the data dir), with subPath', () => {
    const pod = makePod('web', {
      uid: 'u-1',
      containers: [
        {
          name: 'main',
          image: TEST_IMAGE,
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'conf', mountPath: '/etc/app', readOnly: true, subPath: 'app' },
          ],
        },
      ],
      spec: { volumes: [{ name: 'data', emptyDir: {} }, { name: 'conf', hostPath: { path: '/etc/drover-test' } }] },
    });
    const spec = toContainerSpec(pod, pod.spec.containers[0]!, ctx);
    expect(spec.mounts).toEqual([
      { hostPath: emptyDirPath(ctx.dataDir, 'u-1', 'data'), containerPath: '/data', readOnly: false },
      { hostPath: '/etc/drover-test/app', containerPath: '/etc/app', readOnly: true },
    ]);
    expect(emptyDirPath(ctx.dataDir, 'u-1', 'data')).toBe('/var/lib/drover-agent/pods/u-1/volumes/data');
  });

  it('refuses what it cannot honour with ContainerConfigError (missing config, bad mounts, ports)', () => {
    const cases: Partial<Parameters<typeof makePod>[1]>[] = [
      { containers: [{ name: 'main', image: TEST_IMAGE, env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] }] },
      { containers: [{ name: 'main', image: TEST_IMAGE, envFrom: [{ secretRef: { name: 's' } }] }] },
      { containers: [{ name: 'main', image: TEST_IMAGE, volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] },
      { containers: [{ name: 'main', image: TEST_IMAGE, volumeMounts: [{ name: 'v', mountPath: '/x', subPath: '../etc' }] }], spec: { volumes: [{ name: 'v', emptyDir: {} }] } },
      { containers: [{ name: 'main', image: TEST_IMAGE, ports: [{ containerPort: 80, hostPort: 81 }] }], spec: { hostNetwork: true } },
    ];
    for (const c of cases) {
      const pod = makePod('bad', c);
      expect(() => toContainerSpec(pod, pod.spec.containers[0]!, ctx)).toThrow(ContainerConfigError);
    }
  });

  it('changes the spec hash when the container or its volumes change, not when keys are reordered', () => {
    const a = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, command: ['a'] }] });
    const reordered = makePod('web', { containers: [{ command: ['a'], image: TEST_IMAGE, name: 'main' }] });
    const changed = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, command: ['b'] }] });
    const hostNet = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, command: ['a'] }], spec: { hostNetwork: true } });
    const labelled = makePod('web', { containers: [{ name: 'main', image: TEST_IMAGE, command: ['a'] }], metadata: { labels: { x: 'y' } } });
    const h = (p: typeof a) => containerSpecHash(p, p.spec.containers[0]!);
    expect(h(reordered)).toBe(h(a));
    expect(h(labelled)).toBe(h(a));
    expect(h(changed)).not.toBe(h(a));
    expect(h(hostNet)).not.toBe(h(a));
  });

  it('defaults imagePullPolicy like Kubernetes and the grace period to 30 s', () => {
    expect(pullPolicyOf({ name: 'a', image: 'nginx' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: 'nginx:latest' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: 'nginx:1.25' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ name: 'a', image: 'registry:5000/app' })).toBe('Always');
    expect(pullPolicyOf({ name: 'a', image: 'registry:5000/app:v1' })).toBe('IfNotPresent');
    expect(pullPolicyOf({ name: 'a', image: 'nginx:latest', imagePullPolicy: 'Never' })).toBe('Never');
    expect(graceSecondsOf(makePod('x'))).toBe(30);
    expect(graceSecondsOf(makePod('x', { spec: { terminationGracePeriodSeconds: 5 } }))).toBe(5);
    expect(graceSecondsOf(makePod('x', { spec: { terminationGracePeriodSeconds: 5 }, metadata: { deletionGracePeriodSeconds: 1 } }))).toBe(1);
  });

  it('expands $(VAR) references as Kubernetes does', () => {
    expect(expandReferences('$(A)-$(B)', { A: '1' })).toBe('1-$(B)');
    expect(expandReferences('$$(A) $$ $', { A: '1' })).toBe('$(A) $ $');
    expect(expandReferences('$(A', { A: '1' })).toBe('$(A');
  });
});

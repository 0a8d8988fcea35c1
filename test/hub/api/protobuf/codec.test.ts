/**
 * The Kubernetes protobuf decoder: bodies kubectl 1.32 really sent (captured from `kubectl create ...`)
 * decode to the objects their JSON would be, and every kind Drover serves round-trips through the
 * encoder with its special types (Time, MicroTime, Quantity, IntOrString, bytes, maps, inline structs)
 * and passes the same validation as JSON.
 */
import { describe, expect, it } from 'vitest';
import { decodeKubernetesProtobuf, encodeKubernetesProtobuf, ProtobufBodyError } from '../../../../hub/api/protobuf/codec.js';
import { validateObject } from '../../../../protocol/manifest.js';

/** What kubectl 1.32.4 sent for `create configmap c --from-literal=a=b`, `create secret generic s --from-literal=k=v`, `create namespace n` and `create deployment web --image=registry.local/nginx:1.27 --replicas=2`. */
const KUBECTL_BODIES = {
  configmap: 'azhzAAoPCgJ2MRIJQ29uZmlnTWFwEiIKGAoBYxIAGgdkZWZhdWx0IgAqADIAOABCABIGCgFhEgFiGgAiAA==',
  secret: 'azhzAAoMCgJ2MRIGU2VjcmV0EiQKGAoBcxIAGgdkZWZhdWx0IgAqADIAOABCABIGCgFrEgF2GgAaACIA',
  namespace: 'azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhkKEQoBbhIAGgAiACoAMgA4AEIAEgAaAgoAGgAiAA==',
  deployment:
    'azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EscBCiYKA3dlYhIAGgdkZWZhdWx0IgAqADIAOABCAFoKCgNhcHASA3dlYhKOAQgCEgwKCgoDYXBwEgN3ZWIadAocCgASABoAIgAqADIAOABCAFoKCgNhcHASA3dlYhJUEjYKBW5naW54EhlyZWdpc3RyeS5sb2NhbC9uZ2lueDoxLjI3KgBCAGoAcgCAAQCIAQCQAQCiAQAaADIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAIgIKACgAOAAaDAgAEAAYACAAKAA4ABoAIgA=',
};
const body = (b64: string): Buffer => Buffer.from(b64, 'base64');

describe('decodeKubernetesProtobuf: what kubectl sends', () => {
  it('kubectl create configmap / secret / namespace decode to their JSON, Go zero values omitted', () => {
    expect(decodeKubernetesProtobuf(body(KUBECTL_BODIES.configmap)).object).toEqual({
      apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: { a: 'b' },
    });
    // Secret data is bytes on the wire, base64 in JSON: the value reads back exactly
    const secret = decodeKubernetesProtobuf(body(KUBECTL_BODIES.secret)).object as { data: Record<string, string> };
    expect(secret).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { k: 'dg==' } });
    expect(Buffer.from(secret.data.k!, 'base64').toString()).toBe('v');
    expect(decodeKubernetesProtobuf(body(KUBECTL_BODIES.namespace)).object).toEqual({
      apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, spec: {}, status: {},
    });
  });

  it('kubectl create deployment decodes to a Deployment that validates (replicas kept, empty structs as {})', () => {
    const decoded = decodeKubernetesProtobuf(body(KUBECTL_BODIES.deployment));
    expect(decoded).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    expect(decoded.object).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'registry.local/nginx:1.27', resources: {} }] } },
        strategy: {},
      },
      status: {},
    });
    expect(() => validateObject(decoded.object, 'Deployment "web"')).not.toThrow();
  });
});

const meta = { name: 'x', namespace: 'default', uid: 'u-1', labels: { app: 'x' }, annotations: { note: 'y' }, creationTimestamp: '2026-01-02T03:04:05Z' };
const podSpec = {
  containers: [
    {
      name: 'main',
      image: 'registry.local/nginx:1.27',
      command: ['sleep', '10'],
      env: [{ name: 'A', value: '1' }, { name: 'B', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: false } } }],
      envFrom: [{ configMapRef: { name: 'c' }, prefix: 'P_' }],
      ports: [{ containerPort: 80, name: 'http', protocol: 'TCP' }],
      resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
      livenessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
      readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 1 },
      volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/cfg', readOnly: true }],
      // Go pointers: runAsUser 0 (root) and allowPrivilegeEscalation false mean something and are kept
      securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } },
    },
  ],
  securityContext: { runAsNonRoot: true, runAsUser: 1000, fsGroup: 2000, supplementalGroups: [3000], seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/a.json' } },
  volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c', defaultMode: 420, items: [{ key: 'a', path: 'a.txt' }] } }],
  nodeSelector: { disk: 'ssd' },
  tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 0 }],
  terminationGracePeriodSeconds: 0,
  restartPolicy: 'Always',
};

/** One object of every kind with a protobuf message, in its JSON form. */
const OBJECTS: Record<string, Record<string, unknown>> = {
  Pod: {
    apiVersion: 'v1', kind: 'Pod', metadata: meta, spec: podSpec,
    status: {
      phase: 'Running', podIP: '10.42.0.5', startTime: '2026-01-02T03:04:06Z',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-02T03:04:07Z' }],
      containerStatuses: [{ name: 'main', ready: false, restartCount: 0, image: 'registry.local/nginx:1.27', state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
    },
  },
  Deployment: {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta,
    spec: { replicas: 0, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } }, revisionHistoryLimit: 0 },
  },
  ReplicaSet: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta, spec: { replicas: 3, selector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['x'] }] }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec } } },
  DaemonSet: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: meta, spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: podSpec }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } } } },
  Service: { apiVersion: 'v1', kind: 'Service', metadata: meta, spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080, protocol: 'TCP' }], sessionAffinity: 'None' } },
  ConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: { a: 'b', empty: '' }, immutable: false },
  Secret: { apiVersion: 'v1', kind: 'Secret', metadata: meta, type: 'Opaque', data: { k: Buffer.from([0, 1, 255]).toString('base64') }, stringData: { s: 'plain' } },
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { 'pod-security.kubernetes.io/enforce': 'baseline' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } },
  Node: {
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' },
    spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: '2026-01-02T03:04:05Z' }] },
    status: { capacity: { cpu: '4', memory: '8Gi' }, addresses: [{ type: 'InternalIP', address: '192.0.2.1' }], nodeInfo: { architecture: 'arm64' }, images: [{ names: ['busybox'], sizeBytes: 1234 }] },
  },
  Event: {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'x.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'default', uid: 'u-1' },
    reason: 'Started', message: 'Started container', type: 'Normal', count: 2, firstTimestamp: '2026-01-02T03:04:05Z', eventTime: '2026-01-02T03:04:05.123456Z',
    source: { component: 'kubectl' }, reportingComponent: 'kubectl',
  },
  PodDisruptionBudget: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: meta, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'x' } } } },
  PersistentVolumeClaim: {
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta,
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'local-path', volumeName: 'pvc-u-1', volumeMode: 'Filesystem' },
    status: { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } },
  },
  PersistentVolume: {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-1' },
    spec: {
      capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'local-path', volumeMode: 'Filesystem',
      claimRef: { kind: 'PersistentVolumeClaim', namespace: 'default', name: 'data', uid: 'u-1', apiVersion: 'v1' },
      local: { path: '/var/lib/drover/volumes/pv-1' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } },
    },
    status: { phase: 'Bound' },
  },
  StorageClass: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: 'drover.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: false },
};

describe('decodeKubernetesProtobuf: every kind', () => {
  for (const [kind, object] of Object.entries(OBJECTS)) {
    it(`${kind} round-trips and validates`, () => {
      const decoded = decodeKubernetesProtobuf(encodeKubernetesProtobuf(object));
      expect(decoded.kind).toBe(kind);
      // explicit zeros of Go pointer fields (replicas 0, grace 0, immutable false) and empty map values stay
      expect(decoded.object).toEqual(object);
      expect(() => validateObject(decoded.object, `${kind} "x"`)).not.toThrow();
    });
  }

  it('Eviction and DeleteOptions keep gracePeriodSeconds 0 (force) and preconditions', () => {
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'x', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 0, preconditions: { uid: 'u-1' } } };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(eviction)).object).toEqual(eviction);
    const beta = { ...eviction, apiVersion: 'policy/v1beta1' };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(beta)).object).toEqual(beta);
    const options = { apiVersion: 'meta.k8s.io/v1', kind: 'DeleteOptions', gracePeriodSeconds: 30, propagationPolicy: 'Background', dryRun: ['All'] };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(options)).object).toEqual(options);
  });

  it('SelfSubjectAccessReview and SelfSubjectRulesReview (kubectl auth can-i) round-trip, allowed false kept', () => {
    const review = {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', group: 'apps', resource: 'deployments' } },
      status: { allowed: false, reason: 'role view' },
    };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(review)).object).toEqual(review);
    const rules = {
      apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', metadata: {}, spec: { namespace: 'default' },
      status: { resourceRules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }], incomplete: false },
    };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(rules)).object).toEqual(rules);
    expect(() => decodeKubernetesProtobuf(encodeKubernetesProtobuf({ ...review, kind: 'SelfSubjectAccessReviewList' }))).toThrow();
  });

  it('lists and Status (the answers to a protobuf-only client) round-trip', () => {
    const list = { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '42', continue: 'abc', remainingItemCount: 0 }, items: [{ metadata: { name: 'a' }, spec: { containers: [{ name: 'm', image: 'i' }] } }] };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(list)).object).toEqual(list);
    const status = {
      apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: 'no', reason: 'TooManyRequests', code: 429,
      details: { causes: [{ reason: 'DisruptionBudget', message: 'needs 1' }], retryAfterSeconds: 5 },
    };
    expect(decodeKubernetesProtobuf(encodeKubernetesProtobuf(status)).object).toEqual(status);
  });

  it('fields Drover does not serve come through as {} so that validation names them', () => {
    const encoded = encodeKubernetesProtobuf({ ...OBJECTS.Pod!, spec: { ...podSpec, initContainers: [{ name: 'init', image: 'i' }] } });
    const decoded = decodeKubernetesProtobuf(encoded).object as { spec: Record<string, unknown> };
    expect(decoded.spec.initContainers).toEqual([{}]);
    expect(() => validateObject(decoded, 'Pod "x"')).toThrow(/initContainers/);
  });
});

describe('decodeKubernetesProtobuf: malformed bodies', () => {
  it('names what is wrong', () => {
    expect(() => decodeKubernetesProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(/does not start with the Kubernetes protobuf prefix/);
    const good = body(KUBECTL_BODIES.deployment);
    expect(() => decodeKubernetesProtobuf(good.subarray(0, good.length - 40))).toThrow(ProtobufBodyError);
    expect(() => decodeKubernetesProtobuf(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x12, 0x01, 0x00]))).toThrow(/no typeMeta.kind/);
  });

  it('random bytes after the prefix, and kubectl bodies with bytes flipped, fail only as ProtobufBodyError', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const kubectl = body(KUBECTL_BODIES.deployment);
    for (let i = 0; i < 300; i++) {
      const candidate =
        i % 2 === 0
          ? Buffer.concat([kubectl.subarray(0, 4), Buffer.from(Array.from({ length: next() % 200 }, () => next() % 256))])
          : Buffer.from(kubectl.map((b, j) => (j > 4 && next() % 40 === 0 ? next() % 256 : b)));
      try {
        decodeKubernetesProtobuf(candidate);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufBodyError);
      }
    }
  });

  it('a kind without a message is refused as unsupported, not misread', () => {
    const envelope = Buffer.from(KUBECTL_BODIES.configmap, 'base64');
    const swapped = Buffer.from(envelope.toString('latin1').replace('ConfigMap', 'Widget123'), 'latin1');
    try {
      decodeKubernetesProtobuf(swapped);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ProtobufBodyError);
      expect((err as ProtobufBodyError).unsupportedKind).toBe(true);
      expect((err as Error).message).toMatch(/Kind=Widget123 are not read by Drover/);
    }
  });
});

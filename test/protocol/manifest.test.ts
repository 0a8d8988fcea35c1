import { describe, expect, it } from 'vitest';
import { ManifestError, parseManifests, validateObject } from '../../protocol/index.js';

const pod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: { app: web }
spec:
  containers:
    - name: web
      image: drover.local/busybox:test
      command: ["httpd", "-f", "-p", "8080", "-h", "/"]
      ports:
        - containerPort: 8080
          hostPort: 18080
      resources:
        requests: { cpu: 100m, memory: 32Mi }
`;

function problemsOf(text: string): string[] {
  try {
    parseManifests(text, 'web.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestError);
    return (err as ManifestError).problems.map((p) => p.message);
  }
  throw new Error('expected a ManifestError');
}

describe('parseManifests', () => {
  it('parses a valid pod and keeps its fields', () => {
    const [obj] = parseManifests(pod, 'web.yaml');
    expect(obj?.kind).toBe('Pod');
    expect(obj?.metadata.name).toBe('web');
    const spec = obj?.spec as { containers: { ports: { hostPort: number }[]; resources: { requests: { cpu: string } } }[] };
    expect(spec.containers[0]?.ports[0]?.hostPort).toBe(18080);
    expect(spec.containers[0]?.resources.requests.cpu).toBe('100m');
  });

  it('parses several documents, skipping empty ones', () => {
    const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n';
    const objs = parseManifests(`${ns}---\n${pod}---\n`, 'all.yaml');
    expect(objs.map((o) => o.kind)).toEqual(['Namespace', 'Pod']);
  });

  it('names the document and the path of an unknown field', () => {
    const problems = problemsOf(pod.replace('image:', 'imagee:'));
    expect(problems).toContain('web.yaml (document 1) Pod/web: spec.containers[0].imagee: unknown field');
  });

  it('names a missing required field', () => {
    const problems = problemsOf(pod.replace(/      image: .*\n/, ''));
    expect(problems.some((p) => p.includes('spec.containers[0].image: required field is missing'))).toBe(true);
  });

  it('names a wrong type', () => {
    const problems = problemsOf(pod.replace('hostPort: 18080', 'hostPort: "eighty"'));
    expect(problems.some((p) => p.includes('spec.containers[0].ports[0].hostPort:'))).toBe(true);
  });

  it('reports problems of every document at once', () => {
    const bad1 = pod.replace('image:', 'imagee:');
    const bad2 = pod.replace('name: web\n  labels', 'name: Web_Bad\n  labels');
    const problems = problemsOf(`${bad1}---\n${bad2}`);
    expect(problems.some((p) => p.includes('document 1'))).toBe(true);
    expect(problems.some((p) => p.includes('document 2') && p.includes('metadata.name'))).toBe(true);
  });

  it('refuses an unknown kind and a wrong apiVersion by name', () => {
    expect(problemsOf('apiVersion: v1\nkind: Gadget\nmetadata: {name: x}\n')[0]).toMatch(/kind: unsupported kind "Gadget"/);
    expect(problemsOf(pod.replace('apiVersion: v1', 'apiVersion: apps/v1'))[0]).toMatch(/apiVersion: Pod is served as apiVersion "v1"/);
  });

  it('refuses invalid YAML with a clear message', () => {
    expect(problemsOf('apiVersion: v1\nkind: [Pod\n')[0]).toMatch(/invalid YAML/);
  });

  it('refuses a bad quantity', () => {
    const problems = problemsOf(pod.replace('cpu: 100m', 'cpu: lots'));
    expect(problems.some((p) => p.includes('spec.containers[0].resources.requests.cpu'))).toBe(true);
  });

  it('requires a container', () => {
    expect(() => validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [] } })).toThrow(
      /spec.containers: a pod needs at least one container/,
    );
  });
});

describe('workload kinds', () => {
  it('accepts the nginx Deployment from the Kubernetes docs unchanged', () => {
    const text = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
`;
    const [d] = parseManifests(text, 'nginx.yaml');
    expect(d?.kind).toBe('Deployment');
  });
  it('names an unknown field inside a Deployment template', () => {
    const text = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    spec:\n      containers: [{name: c, image: i, imagee: j}]\n';
    expect(problemsOf(text)[0]).toContain('spec.template.spec.containers[0].imagee: unknown field');
  });
});

describe('YAML dialect', () => {
  it('reads 0644 as octal, as Kubernetes does', () => {
    const text = `apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers: [{name: c, image: i, volumeMounts: [{name: cfg, mountPath: /cfg}]}]
  volumes:
  - name: cfg
    configMap: {name: x, defaultMode: 0644}
`;
    const [pod] = parseManifests(text, 'p.yaml');
    const volumes = (pod?.spec as { volumes: { configMap: { defaultMode: number } }[] }).volumes;
    expect(volumes[0]?.configMap.defaultMode).toBe(0o644);
  });
});

describe('securityContext', () => {
  const podWith = (sc: string, psc = '') => `apiVersion: v1
kind: Pod
metadata: { name: p }
spec:
${psc}  containers:
    - name: c
      image: drover.local/busybox:test
      securityContext: ${sc}
`;
  it('accepts the pod and container fields Drover honours', () => {
    const [pod] = parseManifests(
      podWith(
        '{ runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL], add: [NET_BIND_SERVICE] }, seccompProfile: { type: RuntimeDefault } }',
        '  securityContext: { runAsUser: 1000, fsGroup: 2000, supplementalGroups: [4000], seccompProfile: { type: Localhost, localhostProfile: profiles/p.json } }\n',
      ),
      'p.yaml',
    );
    expect(JSON.stringify(pod)).toContain('"localhostProfile":"profiles/p.json"');
  });
  it('refuses unknown fields, a Localhost profile without its file or escaping the directory, and a negative uid', () => {
    expect(() => parseManifests(podWith('{ seLinuxOptions: { level: s0 } }'), 'p.yaml')).toThrow(/seLinuxOptions/);
    expect(() => parseManifests(podWith('{ seccompProfile: { type: Localhost } }'), 'p.yaml')).toThrow(/must be set when seccomp type is Localhost/);
    expect(() => parseManifests(podWith('{ seccompProfile: { type: Localhost, localhostProfile: ../../etc/x } }'), 'p.yaml')).toThrow(/without "\.\."/);
    expect(() => parseManifests(podWith('{ runAsUser: -1 }'), 'p.yaml')).toThrow(ManifestError);
  });
});


/** kubectl get: the tables kubectl prints from the hub's server-side Tables, -o wide/yaml/json/jsonpath/name, get all, get -w, events. */
import { expect } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { TEST_IMAGE } from '../../e2e/support.js';
import { WEB_COMMAND } from './manifests.js';
import type { Row } from './row.js';
import type { PodJson } from './scenario.js';
import { headerOf, rowNamed, rowsOf } from './table-text.js';

export const getRows: Row[] = [
  {
    name: 'kubectl get nodes',
    args: ['get', 'nodes'],
    check(r, s) {
      expect(headerOf(r.stdout)).toEqual(['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
      for (const node of s.nodes) expect(rowNamed(r.stdout, node)).toMatchObject({ STATUS: 'Ready', ROLES: '<none>' });
    },
  },
  {
    name: 'kubectl get nodes -o wide',
    args: ['get', 'nodes', '-o', 'wide'],
    check(r, s) {
      expect(headerOf(r.stdout)).toEqual(expect.arrayContaining(['INTERNAL-IP', 'OS-IMAGE', 'KERNEL-VERSION', 'CONTAINER-RUNTIME']));
      for (const node of s.nodes) expect(rowNamed(r.stdout, node)?.['CONTAINER-RUNTIME']).toMatch(/^containerd:\/\//);
    },
  },
  {
    name: 'kubectl get pods',
    args: ['get', 'pods'],
    check(r) {
      expect(headerOf(r.stdout)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      const web = rowsOf(r.stdout).filter((c) => c[0]!.startsWith('web-'));
      expect(web.map((c) => c.slice(1, 4))).toEqual([['1/1', 'Running', '0'], ['1/1', 'Running', '0']]);
    },
  },
  {
    name: 'kubectl get pods -o wide',
    args: ['get', 'pods', '-o', 'wide'],
    check(r, s) {
      const header = headerOf(r.stdout);
      expect(header.slice(0, 7)).toEqual(['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
      const nodeCol = header.indexOf('NODE');
      const nodes = rowsOf(r.stdout).filter((c) => c[0]!.startsWith('web-')).map((c) => c[nodeCol]);
      expect(nodes).toHaveLength(2);
      for (const n of nodes) expect(s.nodes).toContain(n);
    },
  },
  {
    name: 'kubectl get deployments',
    args: ['get', 'deployments'],
    check(r) {
      expect(headerOf(r.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      expect(rowNamed(r.stdout, 'web')).toMatchObject({ READY: '2/2', 'UP-TO-DATE': '2', AVAILABLE: '2' });
    },
  },
  {
    name: 'kubectl get deployments -o wide',
    args: ['get', 'deployments', '-o', 'wide'],
    check(r) {
      expect(rowNamed(r.stdout, 'web')).toMatchObject({ CONTAINERS: 'web', IMAGES: TEST_IMAGE, SELECTOR: 'app=web' });
    },
  },
  {
    name: 'kubectl get deployment web -o yaml',
    args: ['get', 'deployment', 'web', '-o', 'yaml'],
    check(r) {
      const d = parseYaml(r.stdout) as { kind: string; metadata: { name: string }; spec: { replicas: number; template: { spec: { containers: { command: string[] }[] } } } };
      expect(d).toMatchObject({ kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 2 } });
      expect(d.spec.template.spec.containers[0]!.command).toEqual(WEB_COMMAND);
    },
  },
  {
    name: 'kubectl get pods -l app=web -o json',
    args: ['get', 'pods', '-l', 'app=web', '-o', 'json'],
    check(r) {
      const list = JSON.parse(r.stdout) as { kind: string; items: PodJson[] };
      expect(list.kind).toBe('List');
      expect(list.items).toHaveLength(2);
      for (const p of list.items) expect(p).toMatchObject({ metadata: { labels: { app: 'web' } }, status: { phase: 'Running' } });
    },
  },
  {
    name: 'kubectl get pods -o jsonpath={.items[*].spec.nodeName}',
    args: ['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].spec.nodeName}'],
    check(r, s) {
      const names = r.stdout.trim().split(' ');
      expect(names).toHaveLength(2);
      for (const n of names) expect(s.nodes).toContain(n);
    },
  },
  {
    name: 'kubectl get pods -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image',
    args: ['get', 'pods', '-l', 'app=web', '-o', 'custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image'],
    check(r) {
      expect(headerOf(r.stdout)).toEqual(['NAME', 'IMAGE']);
      expect(rowsOf(r.stdout).map((c) => c[1])).toEqual([TEST_IMAGE, TEST_IMAGE]);
    },
  },
  {
    name: 'kubectl get deployments,replicasets -o name',
    args: ['get', 'deployments,replicasets', '-o', 'name'],
    check(r) {
      const names = r.stdout.trim().split('\n');
      expect(names[0]).toBe('deployment.apps/web');
      expect(names.slice(1)).toEqual([expect.stringMatching(/^replicaset\.apps\/web-[a-z0-9]+$/)]);
    },
  },
  {
    name: 'kubectl get all',
    args: ['get', 'all'],
    check(r) {
      expect(r.stdout).toMatch(/^pod\/web-\S+\s+1\/1\s+Running\s/m);
      expect(r.stdout).toMatch(/^deployment\.apps\/web\s+2\/2\s+2\s+2\s/m);
      expect(r.stdout).toMatch(/^replicaset\.apps\/web-\S+\s+2\s+2\s+2\s/m);
      expect(r.stdout).not.toContain('configmap/');
    },
  },
  {
    name: 'kubectl get pods -A',
    args: ['get', 'pods', '-A'],
    check(r) {
      expect(headerOf(r.stdout)).toEqual(['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      expect(rowsOf(r.stdout).filter((c) => c[1]!.startsWith('web-')).map((c) => [c[0], c[3]])).toEqual([['default', 'Running'], ['default', 'Running']]);
    },
  },
  {
    name: 'kubectl describe service web',
    args: ['describe', 'service', 'web'],
    check(r) {
      expect(r.stdout).toMatch(/^Selector:\s+app=web$/m);
      expect(r.stdout).toMatch(/^Type:\s+ClusterIP$/m);
      expect(r.stdout).toMatch(/^IP:\s+\d+\.\d+\.\d+\.\d+$/m);
      expect(r.stdout).toMatch(/^TargetPort:\s+8080\/TCP$/m);
    },
  },
  {
    name: 'kubectl get endpoints web',
    args: ['get', 'endpoints', 'web'],
    check(r) {
      // the two ready pods (on the nodes' own addresses: the agents run without a pod network here)
      expect(rowNamed(r.stdout, 'web')?.ENDPOINTS?.split(',')).toEqual([expect.stringMatching(/:8080$/), expect.stringMatching(/:8080$/)]);
    },
  },
  {
    name: 'kubectl get pods --field-selector spec.nodeName=NODE',
    args: async (s) => {
      const pods = await s.livePods('app=web');
      s.memo.fieldNode = pods[0]!.spec.nodeName;
      s.memo.fieldCount = pods.filter((p) => p.spec.nodeName === s.memo.fieldNode).length;
      return ['get', 'pods', '-l', 'app=web', '--field-selector', `spec.nodeName=${String(s.memo.fieldNode)}`, '-o', 'jsonpath={.items[*].spec.nodeName}'];
    },
    check(r, s) {
      const names = r.stdout.trim().split(' ').filter(Boolean);
      expect(names).toEqual(Array(s.memo.fieldCount).fill(s.memo.fieldNode));
    },
  },
  {
    name: 'kubectl get deployments -w (sees kubectl scale --replicas=3)',
    args: ['get', 'deployments', '-w'],
    watch: {
      ready: (out) => /^web\s+2\/2/m.test(out),
      change: (s) => s.kubectl(['scale', 'deployment/web', '--replicas=3']),
      until: (out) => /^web\s+\d\/3\s/m.test(out),
    },
    check(r) {
      // one header, then rows in its columns as the Deployment changes (not NAME/AGE rows)
      expect(r.stdout.match(/^NAME\s/gm)).toHaveLength(1);
      expect(headerOf(r.stdout)).toEqual(['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      expect(r.stdout).toMatch(/^web\s+\d\/3\s+\d\s+\d\s+\S+$/m);
    },
  },
  {
    name: 'kubectl get events --field-selector involvedObject.kind=Deployment',
    args: ['get', 'events', '--field-selector', 'involvedObject.kind=Deployment'],
    check(r) {
      expect(headerOf(r.stdout)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      const rows = rowsOf(r.stdout);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((c) => c[3] === 'deployment/web')).toBe(true);
      expect(r.stdout).toMatch(/ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-\S+ to 3/);
    },
  },
  {
    name: 'kubectl events --for deployment/web',
    args: ['events', '--for', 'deployment/web'],
    check(r) {
      expect(headerOf(r.stdout)).toEqual(['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      expect(r.stdout).toMatch(/ScalingReplicaSet\s+Deployment\/web\s+Scaled up replica set web-\S+ to 2/);
      expect(r.stdout).not.toMatch(/Pod\//);
    },
  },
];

/** What kubectl learns about the hub before anything else: version, api-resources, explain. */
import { expect } from 'vitest';
import type { Row } from './row.js';

export const discoveryRows: Row[] = [
  {
    name: 'kubectl version',
    args: ['version'],
    check(r) {
      expect(r.stdout).toMatch(/^Client Version: v1\.32\./m);
      expect(r.stdout).toMatch(/^Server Version: v1\.\d+\.\d+-drover$/m);
    },
  },
  {
    name: 'kubectl api-resources',
    args: ['api-resources'],
    check(r) {
      expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
      expect(r.stdout).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
      expect(r.stdout).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
      expect(r.stdout).toMatch(/^nodes\s+no\s+v1\s+false\s+Node$/m);
      expect(r.stdout).toMatch(/^configmaps\s+cm\s+v1\s+true\s+ConfigMap$/m);
    },
  },
  {
    name: 'kubectl api-versions',
    args: ['api-versions'],
    check(r) {
      expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['v1', 'apps/v1', 'authorization.k8s.io/v1', 'discovery.k8s.io/v1']));
    },
  },
  {
    name: 'kubectl cluster-info',
    args: ['cluster-info'],
    check(r) {
      expect(r.stdout).toMatch(/^Kubernetes control plane is running at https:\/\/127\.0\.0\.1:\d+$/m);
    },
  },
  {
    name: 'kubectl explain deployment.spec.replicas',
    args: ['explain', 'deployment.spec.replicas'],
    check(r) {
      expect(r.stdout).toMatch(/^GROUP:\s+apps$/m);
      expect(r.stdout).toMatch(/^KIND:\s+Deployment$/m);
      expect(r.stdout).toMatch(/^FIELD: replicas <integer>$/m);
    },
  },
  {
    name: 'kubectl explain pods.spec.containers',
    args: ['explain', 'pods.spec.containers'],
    check(r) {
      expect(r.stdout).toMatch(/^FIELD: containers <\[\]\w+>$/m);
      expect(r.stdout).toMatch(/^\s+image\s+<string> -required-$/m);
      expect(r.stdout).toMatch(/^\s+command\s+<\[\]string>$/m);
      expect(r.stdout).toMatch(/^\s+imagePullPolicy\s+<string>\n\s+enum: Always, IfNotPresent, Never$/m);
    },
  },
];

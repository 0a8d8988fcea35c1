/** kubectl create's typed commands, which send Kubernetes protobuf bodies: each object read back as asked. */
import { expect } from 'vitest';
import type { Row } from './row.js';

export const createRows: Row[] = [
  {
    name: 'kubectl create namespace',
    args: ['create', 'namespace', 'evd-created'],
    async check(r, s) {
      expect(r.stdout).toBe('namespace/evd-created created');
      expect((await s.kubectl(['get', 'namespace', 'evd-created', '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Active');
    },
  },
  {
    name: 'kubectl create configmap --from-literal',
    args: ['create', 'configmap', 'created-cm', '-n', 'evd-created', '--from-literal=a=b'],
    async check(r, s) {
      expect(r.stdout).toBe('configmap/created-cm created');
      expect((await s.kubectl(['get', 'configmap', 'created-cm', '-n', 'evd-created', '-o', 'jsonpath={.data.a}'])).stdout).toBe('b');
    },
  },
  {
    name: 'kubectl create secret generic --from-literal',
    args: ['create', 'secret', 'generic', 'created-secret', '-n', 'evd-created', '--from-literal=k=v'],
    async check(r, s) {
      expect(r.stdout).toBe('secret/created-secret created');
      const data = (await s.kubectl(['get', 'secret', 'created-secret', '-n', 'evd-created', '-o', 'jsonpath={.data.k}'])).stdout;
      expect(Buffer.from(data, 'base64').toString()).toBe('v');
    },
  },
  {
    name: 'kubectl create deployment --replicas=0',
    args: ['create', 'deployment', 'created', '-n', 'evd-created', '--image=registry.local/nginx:1.27', '--replicas=0'],
    async check(r, s) {
      expect(r.stdout).toBe('deployment.apps/created created');
      const got = await s.kubectl(['get', 'deployment', 'created', '-n', 'evd-created', '-o', 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}']);
      expect(got.stdout).toBe('0 registry.local/nginx:1.27');
    },
  },
  {
    name: 'kubectl create poddisruptionbudget',
    args: ['create', 'poddisruptionbudget', 'created', '-n', 'evd-created', '--selector=app=created', '--max-unavailable=1'],
    async check(r, s) {
      expect(r.stdout).toBe('poddisruptionbudget.policy/created created');
      expect((await s.kubectl(['delete', 'namespace', 'evd-created'])).code).toBe(0);
    },
  },
];

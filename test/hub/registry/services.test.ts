/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../api/support.js';

const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec });
const path = '/api/v1/namespaces/default/services';

describe('Service admission through the API (Kubernetes\' service registry)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => api.close());

  it('defaults a ClusterIP Service and gives it the lowest free IP above .1', async () => {
    const a = await api.call('POST', path, { body: svc('a', { selector: { app: 'a' }, ports: [{ port: 80 }] }) });
    expect(a.status).toBe(201);
    expect(a.body.spec).toMatchObject({ type: 'ClusterIP', clusterIP: '10.43.0.2', clusterIPs: ['10.43.0.2'], sessionAffinity: 'None', ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }] });
    const b = await api.call('POST', path, { body: svc('b', { ports: [{ port: 53, protocol: 'UDP', targetPort: 'dns' }] }) });
    expect(b.body.spec.clusterIP).toBe('10.43.0.3');
    expect(b.body.spec.ports[0]).toMatchObject({ protocol: 'UDP', targetPort: 'dns' });
  });

  it('refuses an IP that is taken or out of range, naming the field as Kubernetes does', async () => {
    const taken = await api.call('POST', path, { body: svc('c', { clusterIP: '10.43.0.2', ports: [{ port: 80 }] }) });
    expect(taken.status).toBe(422);
    expect(taken.body.message).toContain('spec.clusterIP: Invalid value: "10.43.0.2": provided IP is already allocated');
    expect(taken.body.details.causes[0]).toMatchObject({ field: 'spec.clusterIP' });
    const outside = await api.call('POST', path, { body: svc('c', { clusterIP: '192.168.9.9', ports: [{ port: 80 }] }) });
    expect(outside.status).toBe(422);
    expect(outside.body.message).toContain('provided IP is not in the valid range. The range of valid IPs is 10.43.0.0/16');
    const chosen = await api.call('POST', path, { body: svc('c', { clusterIP: '10.43.7.7', ports: [{ port: 80 }] }) });
    expect(chosen.body.spec.clusterIP).toBe('10.43.7.7');
  });

  it('gives NodePort and LoadBalancer Services a nodePort per port, refuses one taken or out of range', async () => {
    const np = await api.call('POST', path, { body: svc('np', { type: 'NodePort', ports: [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'admin', port: 81 }] }) });
    expect(np.status).toBe(201);
    expect(np.body.spec.ports.map((p: any) => p.nodePort)).toEqual([30080, 30000]);
    const lb = await api.call('POST', path, { body: svc('lb', { type: 'LoadBalancer', ports: [{ port: 443 }] }) });
    expect(lb.body.spec.ports[0].nodePort).toBe(30001);
    const clash = await api.call('POST', path, { body: svc('clash', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }) });
    expect(clash.status).toBe(422);
    expect(clash.body.message).toContain('spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
    const far = await api.call('POST', path, { body: svc('far', { type: 'NodePort', ports: [{ port: 80, nodePort: 8080 }] }) });
    expect(far.body.message).toContain('provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('keeps the cluster IP and nodePorts on update, and refuses to change the IP', async () => {
    const before = (await api.call('GET', `${path}/np`)).body;
    const put = await api.call('PUT', `${path}/np`, { body: { ...before, spec: { ...before.spec, ports: [{ name: 'http', port: 80 }, { name: 'admin', port: 81 }] } } });
    expect(put.status).toBe(200);
    expect(put.body.spec.ports.map((p: any) => p.nodePort)).toEqual([30080, 30000]);
    const moved = await api.call('PATCH', `${path}/np`, { body: { spec: { clusterIP: '10.43.9.9' } }, contentType: 'application/merge-patch+json' });
    expect(moved.status).toBe(422);
    expect(moved.body.message).toContain('spec.clusterIP: Invalid value: "10.43.9.9": field is immutable');
  });

  it('headless Services get no IP; refuses what Kubernetes refuses', async () => {
    const headless = await api.call('POST', path, { body: svc('db', { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] }) });
    expect(headless.body.spec.clusterIP).toBe('None');
    const unnamed = await api.call('POST', path, { body: svc('two', { ports: [{ port: 80 }, { port: 81 }] }) });
    expect(unnamed.status).toBe(422);
    expect(unnamed.body.message).toContain('spec.ports[0].name: Required value');
    const nodePortOnClusterIP = await api.call('POST', path, { body: svc('x', { ports: [{ port: 80, nodePort: 30500 }] }) });
    expect(nodePortOnClusterIP.body.message).toContain("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
    const external = await api.call('POST', path, { body: svc('ext', { type: 'ExternalName', externalName: 'example.com' }) });
    expect(external.status).toBe(422);
    expect(external.body.message).toMatch(/externalName|ExternalName/);
    const affinity = await api.call('POST', path, { body: svc('sticky', { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }) });
    expect(affinity.body.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
  });

  it('two Services created at once never get the same IP', async () => {
    const created = await Promise.all(Array.from({ length: 10 }, (_, i) => api.call('POST', path, { body: svc(`par-${i}`, { ports: [{ port: 80 }] }) })));
    const ips = created.map((r) => r.body.spec.clusterIP);
    expect(new Set(ips).size).toBe(10);
  });
});

/** Kubernetes' service environment variables, name for name as the kubelet makes them. */
import { describe, expect, it } from 'vitest';
import { serviceEnv } from '../../../agent/network/service-env.js';
import { service } from './fixtures.js';

const asMap = (vars: { name: string; value: string }[]) => Object.fromEntries(vars.map((v) => [v.name, v.value]));

describe('serviceEnv', () => {
  it('gives the kubelet\'s variables for a Service with two ports, in its order', () => {
    const redis = service('redis-primary', {
      clusterIP: '10.43.0.11',
      ports: [
        { name: 'redis', protocol: 'TCP', port: 6379, targetPort: 6379 },
        { protocol: 'UDP', port: 5000, targetPort: 5001 },
      ],
    });
    expect(serviceEnv([redis], 'default')).toEqual([
      { name: 'REDIS_PRIMARY_SERVICE_HOST', value: '10.43.0.11' },
      { name: 'REDIS_PRIMARY_SERVICE_PORT', value: '6379' },
      { name: 'REDIS_PRIMARY_SERVICE_PORT_REDIS', value: '6379' },
      { name: 'REDIS_PRIMARY_PORT', value: 'tcp://10.43.0.11:6379' },
      { name: 'REDIS_PRIMARY_PORT_6379_TCP', value: 'tcp://10.43.0.11:6379' },
      { name: 'REDIS_PRIMARY_PORT_6379_TCP_PROTO', value: 'tcp' },
      { name: 'REDIS_PRIMARY_PORT_6379_TCP_PORT', value: '6379' },
      { name: 'REDIS_PRIMARY_PORT_6379_TCP_ADDR', value: '10.43.0.11' },
      { name: 'REDIS_PRIMARY_PORT_5000_UDP', value: 'udp://10.43.0.11:5000' },
      { name: 'REDIS_PRIMARY_PORT_5000_UDP_PROTO', value: 'udp' },
      { name: 'REDIS_PRIMARY_PORT_5000_UDP_PORT', value: '5000' },
      { name: 'REDIS_PRIMARY_PORT_5000_UDP_ADDR', value: '10.43.0.11' },
    ]);
  });

  it('named ports with dashes become upper case with underscores', () => {
    const api = service('api', { ports: [{ name: 'http-alt', protocol: 'TCP', port: 8080, targetPort: 80 }] });
    expect(asMap(serviceEnv([api], 'default'))).toMatchObject({ API_SERVICE_PORT_HTTP_ALT: '8080', API_SERVICE_PORT: '8080', API_PORT: 'tcp://10.43.0.10:8080' });
  });

  it('only the pod\'s namespace, only Services with a cluster IP, sorted by name', () => {
    const env = serviceEnv(
      [
        service('web', { clusterIP: '10.43.0.2' }),
        service('api', { clusterIP: '10.43.0.1' }),
        service('db', { clusterIP: undefined }),
        service('other', { namespace: 'shop', clusterIP: '10.43.0.3' }),
      ],
      'default',
    );
    expect(env.filter((v) => v.name.endsWith('_SERVICE_HOST'))).toEqual([
      { name: 'API_SERVICE_HOST', value: '10.43.0.1' },
      { name: 'WEB_SERVICE_HOST', value: '10.43.0.2' },
    ]);
  });

  it('the default namespace\'s kubernetes Service reaches every pod, even with enableServiceLinks: false', () => {
    const services = [service('kubernetes', { clusterIP: '10.43.0.1', ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }] }), service('api', { namespace: 'shop', clusterIP: '10.43.0.5' })];
    expect(asMap(serviceEnv(services, 'shop'))).toMatchObject({ KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT_HTTPS: '443', API_SERVICE_HOST: '10.43.0.5' });
    const noLinks = asMap(serviceEnv(services, 'shop', { enableServiceLinks: false }));
    expect(noLinks.KUBERNETES_SERVICE_HOST).toBe('10.43.0.1');
    expect(noLinks.API_SERVICE_HOST).toBeUndefined();
    // a kubernetes Service of the pod's own namespace wins
    const own = serviceEnv([...services, service('kubernetes', { namespace: 'shop', clusterIP: '10.43.0.9' })], 'shop');
    expect(asMap(own).KUBERNETES_SERVICE_HOST).toBe('10.43.0.9');
  });

  it('nothing without Services', () => {
    expect(serviceEnv([], 'default')).toEqual([]);
  });
});

/** Service variables in a container's environment at creation: under the container's own env, usable in $(VAR). */
import { describe, expect, it } from 'vitest';
import { serviceEnv } from '../../../agent/network/service-env.js';
import { toContainerSpec } from '../../../agent/pods/pod-runtime.js';
import type { PodServiceEnv } from '../../../agent/pod-services.js';
import type { NetworkService } from '../../../protocol/messages.js';
import type { Pod } from '../../../protocol/objects/pod.js';
import { makePod, NODE, TEST_IMAGE } from '../helpers.js';

const web: NetworkService = {
  namespace: 'default',
  name: 'web',
  type: 'ClusterIP',
  clusterIP: '10.43.0.10',
  ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
  sessionAffinity: 'None',
  endpoints: [],
};
const services: PodServiceEnv = {
  envFor: (pod: Pod) => serviceEnv([web], pod.metadata.namespace ?? 'default', { enableServiceLinks: pod.spec.enableServiceLinks ?? true }),
};
const ctx = { nodeName: NODE, dataDir: '/var/lib/drover-agent', serviceEnv: services };

describe('service variables in the container environment', () => {
  it('are given to a new container, the container’s own env wins, and $(VAR) may name them', () => {
    const pod = makePod('client', {
      containers: [{ name: 'main', image: TEST_IMAGE, env: [{ name: 'WEB_SERVICE_PORT', value: '8000' }, { name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT_HTTP)/' }], args: ['$(WEB_PORT)'] }],
    });
    const spec = toContainerSpec(pod, pod.spec.containers[0]!, ctx);
    expect(spec.env).toMatchObject({
      WEB_SERVICE_HOST: '10.43.0.10',
      WEB_SERVICE_PORT: '8000',
      WEB_SERVICE_PORT_HTTP: '80',
      WEB_PORT_80_TCP_ADDR: '10.43.0.10',
      URL: 'http://10.43.0.10:80/',
    });
    expect(spec.args).toEqual(['tcp://10.43.0.10:80']);
  });

  it('are left out with enableServiceLinks: false, and for pods of another namespace', () => {
    const off = makePod('client', { spec: { enableServiceLinks: false } });
    expect(Object.keys(toContainerSpec(off, off.spec.containers[0]!, ctx).env)).toEqual([]);
    const other = makePod('client', { metadata: { namespace: 'shop' } });
    expect(Object.keys(toContainerSpec(other, other.spec.containers[0]!, ctx).env)).toEqual([]);
  });
});

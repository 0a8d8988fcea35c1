import { describe, expect, it } from 'vitest';
import { claimedComponent, isComponentEventSource } from '../../../hub/admission/event-sources.js';
import { DAEMONSET_CONTROLLER } from '../../../hub/controllers/daemonset.js';
import { DEPLOYMENT_CONTROLLER } from '../../../hub/controllers/deployment.js';
import { ENDPOINTSLICE_CONTROLLER } from '../../../hub/controllers/network/endpoint-slices.js';
import { NODE_IPAM_CONTROLLER } from '../../../hub/controllers/network/node-ipam.js';
import { NODE_CONTROLLER, TAINT_EVICTION_CONTROLLER } from '../../../hub/controllers/node-lifecycle/controller.js';
import { REPLICASET_CONTROLLER } from '../../../hub/controllers/replicaset.js';
import { AGENT_EVENT_SOURCE } from '../../../hub/fleet/pod-status-handler.js';
import { DEFAULT_SCHEDULER_NAME } from '../../../hub/scheduler/runner.js';

describe('component event sources', () => {
  it("reserves every name the hub's components and the agent record events as", () => {
    for (const name of [
      AGENT_EVENT_SOURCE,
      DEFAULT_SCHEDULER_NAME,
      REPLICASET_CONTROLLER,
      DEPLOYMENT_CONTROLLER,
      DAEMONSET_CONTROLLER,
      NODE_CONTROLLER,
      TAINT_EVICTION_CONTROLLER,
      NODE_IPAM_CONTROLLER,
      ENDPOINTSLICE_CONTROLLER,
    ]) {
      expect(isComponentEventSource(name), name).toBe(true);
    }
    expect(isComponentEventSource('kubelet')).toBe(true);
    expect(isComponentEventSource('drover-scheduler')).toBe(true);
  });

  it("leaves an application's own names free, and finds the claim in either field", () => {
    expect(isComponentEventSource('my-operator')).toBe(false);
    expect(isComponentEventSource(undefined)).toBe(false);
    expect(claimedComponent({ source: { component: 'my-app' } })).toBeUndefined();
    expect(claimedComponent({ source: { component: 'my-app' }, reportingComponent: 'kubelet' })).toBe('kubelet');
    expect(claimedComponent({ source: { component: 'drover-agent', host: 'pi-1' } })).toBe('drover-agent');
  });
});

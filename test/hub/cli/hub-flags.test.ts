import { describe, expect, it } from 'vitest';
import { evictionOptions } from '../../../hub/cli/commands/hub.js';

describe('drover hub eviction flags', () => {
  it('maps the kube-controller-manager style flags to the node lifecycle controller options', () => {
    expect(evictionOptions({})).toEqual({});
    expect(
      evictionOptions({ nodeEvictionRate: '0.1', secondaryNodeEvictionRate: '0', unhealthyZoneThreshold: '0.55', largeClusterSizeThreshold: '50' }),
    ).toEqual({ evictionRate: 0.1, secondaryEvictionRate: 0, unhealthyThreshold: 0.55, largeClusterThreshold: 50 });
  });

  it('refuses what is not a number in range, naming the flag', () => {
    expect(() => evictionOptions({ nodeEvictionRate: 'fast' })).toThrow(/--node-eviction-rate must be a number/);
    expect(() => evictionOptions({ nodeEvictionRate: '-1' })).toThrow(/--node-eviction-rate/);
    expect(() => evictionOptions({ unhealthyZoneThreshold: '1.5' })).toThrow(/--unhealthy-zone-threshold must be a number from 0 to 1/);
  });
});

import { describe, expect, it } from 'vitest';
import { hostPorts } from '../../../../hub/placement/filters/host-ports.js';
import { snapshotFromObjects } from '../../../../hub/placement/snapshot.js';
import { makeNode, makePod } from '../fixtures.js';

const node = makeNode('n');
const REASON = "node(s) didn't have free ports for the requested pod ports";

describe('hostPorts filter', () => {
  it('passes a pod without host ports whatever runs on the node', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', hostPort: 8080 })]);
    expect(hostPorts.filter(makePod('p'), node, snap)).toEqual({ ok: true });
  });

  it('rejects a host port already taken on the node', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', hostPort: 8080 })]);
    expect(hostPorts.filter(makePod('p', { hostPort: 8080 }), node, snap)).toEqual({ ok: false, reason: REASON });
  });

  it('the same port on another protocol or another node is free', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', hostPort: 8080 }), makePod('b', { nodeName: 'other', hostPort: 9090 })]);
    expect(hostPorts.filter(makePod('p', { hostPort: 8080, protocol: 'UDP' }), node, snap).ok).toBe(true);
    expect(hostPorts.filter(makePod('p', { hostPort: 9090 }), node, snap).ok).toBe(true);
  });

  it('a finished pod no longer holds its port', () => {
    const snap = snapshotFromObjects([node], [makePod('a', { nodeName: 'n', hostPort: 8080, phase: 'Succeeded' })]);
    expect(hostPorts.filter(makePod('p', { hostPort: 8080 }), node, snap).ok).toBe(true);
  });

  it('a hostNetwork pod claims its container ports', () => {
    const hostNet = makePod('a', { nodeName: 'n' });
    hostNet.spec.hostNetwork = true;
    hostNet.spec.containers[0]!.ports = [{ containerPort: 53, protocol: 'UDP' }];
    const snap = snapshotFromObjects([node], [hostNet]);
    expect(hostPorts.filter(makePod('p', { hostPort: 53, protocol: 'UDP' }), node, snap)).toEqual({ ok: false, reason: REASON });
  });
});

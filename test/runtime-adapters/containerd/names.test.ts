import { describe, expect, it } from 'vitest';
import { normaliseImageRef, sanitiseContainerId } from '../../../runtime-adapters/containerd/names.js';

describe('sanitiseContainerId', () => {
  it('keeps valid ids and makes invalid ones valid, stably and distinctly', () => {
    expect(sanitiseContainerId('default_web-1.0')).toBe('default_web-1.0');
    const a = sanitiseContainerId('ns/pod:web');
    expect(a).toMatch(/^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/);
    expect(a.startsWith('ns-pod-web-')).toBe(true);
    expect(sanitiseContainerId('ns/pod:web')).toBe(a);
    expect(sanitiseContainerId('ns/pod;web')).not.toBe(a); // different names never collide through sanitising
    const long = sanitiseContainerId('x'.repeat(200));
    expect(long.length).toBeLessThanOrEqual(76);
    expect(sanitiseContainerId('///')).toMatch(/^c-[0-9a-f]{12}$/);
  });
});

describe('normaliseImageRef', () => {
  it('expands Docker Hub short names and adds :latest', () => {
    expect(normaliseImageRef('busybox')).toBe('docker.io/library/busybox:latest');
    expect(normaliseImageRef('me/app:1')).toBe('docker.io/me/app:1');
    expect(normaliseImageRef('drover.local/busybox:test')).toBe('drover.local/busybox:test');
    expect(normaliseImageRef('localhost/app')).toBe('localhost/app:latest');
    expect(normaliseImageRef('127.0.0.1:5000/app')).toBe('127.0.0.1:5000/app:latest');
    expect(normaliseImageRef('registry.local/nginx@sha256:abc')).toBe('registry.local/nginx@sha256:abc');
  });
});

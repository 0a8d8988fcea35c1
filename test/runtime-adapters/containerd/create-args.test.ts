/** ctrCreateArgs: no env value and no spec-hash label on ctr's command line; seccomp and privileged as ctr's flags. */
import { describe, expect, it } from 'vitest';
import { stdioOf } from '../../../runtime-adapters/containerd/container-labels.js';
import { ctrCreateArgs, deferredLabels } from '../../../runtime-adapters/containerd/create-args.js';
import type { ContainerSpec } from '../../../runtime-adapters/runtime.js';

const base: ContainerSpec = {
  name: 'web',
  image: 'drover.local/busybox:test',
  env: { PEM: '-----BEGIN-----\nabc\n-----END-----\n', A: 'plain' },
  ports: [],
  mounts: [],
  labels: { 'io.drover.spec-hash': 'abc123', 'io.drover.pod.uid': 'u1' },
  hostNetwork: true,
};

describe('ctrCreateArgs', () => {
  it('gives a TTY container a terminal and keeps the stdio it wants in its label', () => {
    const args = ctrCreateArgs({ ...base, stdin: true, stdinOnce: true, tty: true }, base.image, ['sh']);
    expect(args).toContain('--tty=true');
    const label = args.find((a) => a.startsWith('--label=io.drover.containerd.stdio='))!;
    const [k, v] = label.slice('--label='.length).split('=');
    expect(stdioOf({ [k!]: v! })).toEqual({ stdin: true, stdinOnce: true, tty: true });
    const plain = ctrCreateArgs(base, base.image, ['sh']);
    expect(plain).not.toContain('--tty=true');
    expect(plain.some((a) => a.includes('io.drover.containerd.stdio'))).toBe(false);
    expect(stdioOf({ 'io.drover.containerd.stdio': 'stdin' })).toEqual({ stdin: true, stdinOnce: false, tty: false });
  });

  it('carries no environment at all, and leaves the spec-hash label for the spec update', () => {
    const args = ctrCreateArgs(base, base.image, ['sleep', '1']);
    expect(args.filter((a) => a.startsWith('--env'))).toEqual([]);
    expect(args.join(' ')).not.toContain('plain');
    expect(args.join(' ')).not.toContain('BEGIN');
    expect(args).toContain('--label=io.drover.pod.uid=u1');
    expect(args.some((a) => a.includes('spec-hash'))).toBe(false);
    expect(deferredLabels(base)).toEqual({ 'io.drover.spec-hash': 'abc123' });
    expect(deferredLabels({ ...base, labels: {} })).toEqual({});
  });

  it('seccomp RuntimeDefault and Localhost, and privileged, are ctr flags; Unconfined is none', () => {
    expect(ctrCreateArgs({ ...base, security: { seccomp: { type: 'RuntimeDefault' } } }, base.image, undefined)).toContain('--seccomp=true');
    const local = ctrCreateArgs({ ...base, security: { seccomp: { type: 'Localhost', path: '/d/seccomp/p.json' } } }, base.image, undefined);
    expect(local).toEqual(expect.arrayContaining(['--seccomp=true', '--seccomp-profile=/d/seccomp/p.json']));
    const unconfined = ctrCreateArgs({ ...base, security: { seccomp: { type: 'Unconfined' }, privileged: true } }, base.image, undefined);
    expect(unconfined.some((a) => a.startsWith('--seccomp'))).toBe(false);
    expect(unconfined).toContain('--privileged=true');
  });
});

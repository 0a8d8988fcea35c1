import { describe, expect, it } from 'vitest';
import { InvalidSpecError } from '../../runtime-adapters/errors.js';
import type { ContainerSpec } from '../../runtime-adapters/runtime.js';
import { checkSpec, resolveArgv } from '../../runtime-adapters/spec-checks.js';

const base: ContainerSpec = { name: 'web', image: 'nginx:1', env: {}, ports: [], mounts: [], labels: {}, hostNetwork: false };

describe('resolveArgv (Kubernetes command/args over ENTRYPOINT/CMD)', () => {
  const image = { entrypoint: ['/entry'], cmd: ['--default'] };
  it('applies each of the four cases', () => {
    expect(resolveArgv(image, undefined, undefined)).toEqual(['/entry', '--default']);
    expect(resolveArgv(image, undefined, ['--x'])).toEqual(['/entry', '--x']);
    expect(resolveArgv(image, ['/bin/sh', '-c'], undefined)).toEqual(['/bin/sh', '-c']);
    expect(resolveArgv(image, ['/bin/echo'], ['a', 'b'])).toEqual(['/bin/echo', 'a', 'b']);
  });
});

describe('checkSpec', () => {
  it('rejects what no runtime can run', () => {
    expect(() => checkSpec('t', { ...base, ports: [{ containerPort: 0, protocol: 'TCP' }] })).toThrow(InvalidSpecError);
    expect(() => checkSpec('t', { ...base, hostNetwork: true, ports: [{ containerPort: 80, hostPort: 81, protocol: 'TCP' }] })).toThrow(
      /must equal containerPort/,
    );
    expect(() => checkSpec('t', { ...base, mounts: [{ hostPath: 'rel', containerPath: '/x', readOnly: false }] })).toThrow(/absolute/);
    expect(() => checkSpec('t', { ...base, command: [] })).toThrow(/empty/);
    expect(() => checkSpec('t', base)).not.toThrow();
  });
});

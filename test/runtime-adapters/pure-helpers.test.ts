import { describe, expect, it } from 'vitest';
import { normaliseImageRef, sanitiseContainerId } from '../../runtime-adapters/containerd-names.js';
import {
  ctrError,
  filterQuote,
  isUnreachable,
  parseDeleteExitCode,
  parseServerVersion,
  parseTaskList,
} from '../../runtime-adapters/ctr-output.js';
import { dockerCreateArgs } from '../../runtime-adapters/docker.js';
import { InvalidSpecError } from '../../runtime-adapters/errors.js';
import type { ContainerSpec } from '../../runtime-adapters/runtime.js';
import { checkSpec, resolveArgv } from '../../runtime-adapters/spec-checks.js';

const base: ContainerSpec = { name: 'web', image: 'nginx:1', env: {}, ports: [], mounts: [], labels: {}, hostNetwork: false };

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

describe('ctr output parsers', () => {
  it('parses tasks ls, version, delete exit codes and errors', () => {
    const tasks = parseTaskList('TASK    PID     STATUS    \nweb     6779    RUNNING\ndone    12      STOPPED\n');
    expect(tasks.get('web')).toEqual({ pid: 6779, status: 'RUNNING' });
    expect(tasks.get('done')?.status).toBe('STOPPED');
    expect(tasks.size).toBe(2);
    expect(parseServerVersion('Client:\n  Version:  1.6.20~ds1\n\nServer:\n  Version:  1.6.21\n  Revision: x\n')).toBe('1.6.21');
    expect(parseServerVersion('Client:\n  Version:  1.6.20\n')).toBeUndefined();
    expect(parseDeleteExitCode('time="..." level=warning msg="task web exit with non-zero exit code 137"')).toBe(137);
    expect(parseDeleteExitCode('')).toBe(0);
    expect(ctrError('time="x" level=error msg="y"\nctr: container "a" in namespace "n": not found\n')).toBe(
      'container "a" in namespace "n": not found',
    );
    expect(isUnreachable('ctr: failed to dial "/x.sock": context deadline exceeded')).toBe(true);
    expect(isUnreachable('ctr: container "a": not found')).toBe(false);
    expect(filterQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
  });
});

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

describe('dockerCreateArgs', () => {
  it('maps ports, entrypoint, limits, labels and mounts to docker flags', () => {
    const args = dockerCreateArgs({
      ...base,
      command: ['/bin/echo', 'a'],
      args: ['b'],
      env: { A: '1' },
      labels: { k: 'v' },
      ports: [
        { containerPort: 80, hostPort: 8080, protocol: 'TCP', hostIP: '127.0.0.1' },
        { containerPort: 53, hostPort: 5353, protocol: 'UDP' },
        { containerPort: 9000, protocol: 'TCP' },
      ],
      mounts: [{ hostPath: '/h', containerPath: '/c', readOnly: true }],
      cpuLimitMillis: 250,
      memoryLimitBytes: 64 * 1024 * 1024,
    });
    const joined = args.join(' ');
    expect(joined).toContain('--publish 127.0.0.1:8080:80/tcp');
    expect(joined).toContain('--publish 5353:53/udp');
    expect(joined).not.toContain(':9000');
    expect(joined).toContain('--label k=v');
    expect(joined).toContain('--label io.drover.managed=true');
    expect(joined).toContain('--volume /h:/c:ro');
    expect(joined).toContain('--cpus 0.25');
    expect(joined).toContain(`--memory ${64 * 1024 * 1024}b`);
    expect(args.slice(args.indexOf('--entrypoint'), args.indexOf('--entrypoint') + 2)).toEqual(['--entrypoint', '/bin/echo']);
    expect(args.slice(-3)).toEqual(['nginx:1', 'a', 'b']);
  });

  it('uses host networking without publishing', () => {
    const args = dockerCreateArgs({ ...base, hostNetwork: true, ports: [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }] });
    expect(args.join(' ')).toContain('--network host');
    expect(args).not.toContain('--publish');
    expect(args.slice(-1)).toEqual(['nginx:1']);
  });
});

import { describe, expect, it } from 'vitest';
import { dockerCreateArgs } from '../../../runtime-adapters/docker/create-args.js';
import type { ContainerSpec } from '../../../runtime-adapters/runtime.js';

const base: ContainerSpec = { name: 'web', image: 'nginx:1', env: {}, ports: [], mounts: [], labels: {}, hostNetwork: false };

describe('dockerCreateArgs', () => {
  it('keeps stdin open and gives a terminal when the spec asks', () => {
    const args = dockerCreateArgs({ ...base, stdin: true, tty: true });
    expect(args).toContain('--interactive');
    expect(args).toContain('--tty');
    const plain = dockerCreateArgs(base);
    expect(plain).not.toContain('--interactive');
    expect(plain).not.toContain('--tty');
  });

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

  it('maps the security context to docker flags (seccomp: Docker default for RuntimeDefault)', () => {
    const joined = dockerCreateArgs({
      ...base,
      security: {
        runAsUser: 1000,
        runAsGroup: 3000,
        supplementalGroups: [4000],
        capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        seccomp: { type: 'RuntimeDefault' },
      },
    }).join(' ');
    expect(joined).toContain('--user 1000:3000 --group-add 4000 --cap-drop ALL --cap-add NET_BIND_SERVICE --security-opt no-new-privileges --read-only');
    expect(joined).not.toContain('seccomp');
    expect(dockerCreateArgs({ ...base, security: { seccomp: { type: 'Unconfined' }, privileged: true } }).join(' ')).toContain('--privileged --security-opt seccomp=unconfined');
    expect(dockerCreateArgs({ ...base, security: { seccomp: { type: 'Localhost', path: '/var/lib/drover/seccomp/p.json' } } }).join(' ')).toContain('--security-opt seccomp=/var/lib/drover/seccomp/p.json');
    // only a group: the image's user with that group
    expect(dockerCreateArgs({ ...base, security: { runAsGroup: 5 } }, undefined, {}, 'nginx:nginx').join(' ')).toContain('--user nginx:5');
    expect(dockerCreateArgs(base).join(' ')).not.toContain('--user');
  });
});


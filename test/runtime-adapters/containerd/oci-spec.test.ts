/** oci-spec.ts: the environment and the security context applied to the spec ctr made (pure). */
import { describe, expect, it } from 'vitest';
import { applyCapabilities, capabilityName, completeSpec, mergeEnv, type OciSpec } from '../../../runtime-adapters/containerd/oci-spec.js';

const DEFAULT_CAPS = ['CAP_CHOWN', 'CAP_NET_RAW', 'CAP_NET_BIND_SERVICE', 'CAP_KILL'];
const base: OciSpec = {
  process: {
    env: ['PATH=/bin', 'HOSTNAME=vm'],
    user: { uid: 0, gid: 0, additionalGids: [0] },
    capabilities: { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] },
    noNewPrivileges: true,
    args: ['sleep', '1'],
  },
  root: { path: 'rootfs' },
  linux: { namespaces: [{ type: 'pid' }] },
};

describe('oci-spec', () => {
  it('merges env over the image\'s, replacing a name in place and keeping values exactly (newlines, "=")', () => {
    expect(mergeEnv(['PATH=/bin', 'A=1'], { A: '2', PEM: '-----BEGIN-----\nabc\n-----END-----\n', EQ: 'a=b' })).toEqual([
      'PATH=/bin',
      'A=2',
      'PEM=-----BEGIN-----\nabc\n-----END-----\n',
      'EQ=a=b',
    ]);
  });

  it('capabilities: names normalised, drop before add, ALL on either side', () => {
    expect(capabilityName('net_bind_service')).toBe('CAP_NET_BIND_SERVICE');
    expect(capabilityName('CAP_KILL')).toBe('CAP_KILL');
    expect(applyCapabilities(DEFAULT_CAPS, { drop: ['ALL'], add: ['NET_BIND_SERVICE'] })).toEqual(['CAP_NET_BIND_SERVICE']);
    expect(applyCapabilities(DEFAULT_CAPS, { drop: ['NET_RAW'], add: ['SYS_TIME'] })).toEqual(['CAP_CHOWN', 'CAP_NET_BIND_SERVICE', 'CAP_KILL', 'CAP_SYS_TIME']);
    expect(applyCapabilities([], { add: ['ALL'] })).toContain('CAP_SYS_ADMIN');
  });

  it('applies the user, groups, capabilities, no_new_privs and read-only root, leaving the rest and the input alone', () => {
    const spec = completeSpec(base, { X: 'y' }, {
      runAsUser: 1000,
      runAsGroup: 3000,
      supplementalGroups: [4000],
      capabilities: { drop: ['ALL'] },
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
    expect(spec.process?.user).toEqual({ uid: 1000, gid: 3000, additionalGids: [3000, 4000] });
    expect(spec.process?.capabilities).toEqual({ bounding: [], effective: [], permitted: [] });
    expect(spec.process?.noNewPrivileges).toBe(true);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.process?.env).toEqual(['PATH=/bin', 'HOSTNAME=vm', 'X=y']);
    expect(spec.process?.args).toEqual(['sleep', '1']);
    expect(spec.linux).toEqual(base.linux);
    expect(base.process?.user).toEqual({ uid: 0, gid: 0, additionalGids: [0] });
    // a uid alone runs with gid 0; allowPrivilegeEscalation true clears no_new_privs; unset keeps ctr's
    expect(completeSpec(base, {}, { runAsUser: 7 }).process?.user).toEqual({ uid: 7, gid: 0, additionalGids: [0] });
    expect(completeSpec(base, {}, { allowPrivilegeEscalation: true }).process?.noNewPrivileges).toBe(false);
    expect(completeSpec(base, {}, {}).process).toEqual(base.process);
  });
});

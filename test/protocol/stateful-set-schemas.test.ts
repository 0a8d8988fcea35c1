import { describe, expect, it } from 'vitest';
import { validateObject } from '../../protocol/manifest.js';
import { columnsFor } from '../../protocol/table-columns.js';
import type { StatefulSet } from '../../protocol/objects/stateful-set.js';

const labels = { app: 'tsdb' };
const sts = (spec: Record<string, unknown>) => ({
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'tsdb', namespace: 'default' },
  spec: { replicas: 3, serviceName: 'tsdb', selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'db', image: 'busybox' }] } }, ...spec },
});
const claim = (name?: string) => ({ metadata: name ? { name } : {}, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });

describe('apps/v1 StatefulSet schema', () => {
  it('accepts what Kubernetes writes for a StatefulSet with claims, policies and a partition', () => {
    const obj = validateObject(
      sts({
        podManagementPolicy: 'Parallel',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1, maxUnavailable: '50%' } },
        volumeClaimTemplates: [claim('data')],
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
        minReadySeconds: 5,
        revisionHistoryLimit: 3,
        ordinals: { start: 0 },
      }),
      'StatefulSet "tsdb"',
    );
    expect(obj.kind).toBe('StatefulSet');
  });

  it('names the bad field', () => {
    expect(() => validateObject(sts({ podManagmentPolicy: 'Parallel' }), 'StatefulSet "tsdb"')).toThrow('spec.podManagmentPolicy: unknown field');
    expect(() => validateObject(sts({ podManagementPolicy: 'Random' }), 'StatefulSet "tsdb"')).toThrow(/spec\.podManagementPolicy/);
    expect(() => validateObject(sts({ updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } }), 'StatefulSet "tsdb"')).toThrow(/spec\.updateStrategy\.rollingUpdate: only allowed/);
    expect(() => validateObject(sts({ updateStrategy: { rollingUpdate: { partition: -1 } } }), 'StatefulSet "tsdb"')).toThrow(/spec\.updateStrategy\.rollingUpdate\.partition/);
    expect(() => validateObject(sts({ persistentVolumeClaimRetentionPolicy: { whenScaled: 'Keep' } }), 'StatefulSet "tsdb"')).toThrow(/spec\.persistentVolumeClaimRetentionPolicy\.whenScaled/);
    expect(() => validateObject(sts({ volumeClaimTemplates: [claim()] }), 'StatefulSet "tsdb"')).toThrow(/spec\.volumeClaimTemplates\[0\]\.metadata\.name: Required value/);
    expect(() => validateObject(sts({ volumeClaimTemplates: [claim('d'), claim('d')] }), 'StatefulSet "tsdb"')).toThrow(/spec\.volumeClaimTemplates\[1\]\.metadata\.name: Duplicate value/);
    expect(() => validateObject(sts({ selector: { matchLabels: { app: 'other' } } }), 'StatefulSet "tsdb"')).toThrow(/spec\.template\.metadata\.labels: `selector` does not match/);
    expect(() => validateObject(sts({ serviceName: 'Bad_Name' }), 'StatefulSet "tsdb"')).toThrow(/spec\.serviceName/);
  });

  it('has kubectl columns NAME READY AGE', () => {
    const headers = columnsFor('StatefulSet').filter((c) => !c.wideOnly).map((c) => c.header);
    expect(headers).toEqual(['READY', 'AGE']);
    const set = { ...sts({}), status: { readyReplicas: 2 } } as unknown as StatefulSet;
    expect(columnsFor('StatefulSet')[0]!.value(set, Date.now())).toBe('2/3');
  });
});

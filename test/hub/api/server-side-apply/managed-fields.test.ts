import { describe, expect, it } from 'vitest';
import { members, pathString, setOfPaths } from '../../../../hub/api/server-side-apply/fieldset.js';
import { defaultManager, managedTime, managersOf, ownedChanges, ownedFieldsOf, recordUpdate, toEntries } from '../../../../hub/api/server-side-apply/managed-fields.js';

const who = { manager: 'kubectl-edit', operation: 'Update' as const, apiVersion: 'v1', time: '2026-01-01T00:00:00Z' };

describe('managedFields', () => {
  it('leaves identity, server-set metadata and status out of what a manager owns', () => {
    const owned = members(ownedFieldsOf({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'n', uid: 'u', resourceVersion: '3', labels: { x: 'y' } }, data: { k: 'v' }, status: { a: 1 } }, 'ConfigMap'));
    expect(owned.map(pathString)).toEqual(['.metadata.labels.x', '.data.k']);
    expect(members(ownedChanges({ metadata: { resourceVersion: '1' } }, { metadata: { resourceVersion: '2' } }, 'ConfigMap'))).toEqual([]);
  });

  it('an update gives the writer what it changed and takes it from the others', () => {
    const start = managersOf({
      metadata: {
        managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {}, 'f:b': {} } } }],
      },
    });
    const next = recordUpdate(start, who, setOfPaths([['f:data', 'f:a']]));
    expect(toEntries(next)).toEqual([
      { manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:b': {} } } },
      { ...who, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } },
    ]);
    // A manager left with nothing is dropped.
    expect(toEntries(recordUpdate(next, who, setOfPaths([['f:data', 'f:b']]))).map((e) => e.manager)).toEqual(['kubectl-edit']);
  });

  it('names the manager of a write from the user agent, and writes time in seconds', () => {
    expect(defaultManager('kubectl/v1.32.0 (linux/amd64) kubernetes/abc')).toBe('kubectl');
    expect(defaultManager(undefined)).toBe('unknown');
    expect(managedTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678))).toBe('2026-01-02T03:04:05Z');
  });
});

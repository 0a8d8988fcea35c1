import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { RequestContext } from '../../../../hub/api/context.js';
import { trackUpdate, writerOf } from '../../../../hub/api/server-side-apply/field-managers.js';
import type { KubeObject } from '../../../../protocol/objects/meta.js';

const ctx = (query: string, userAgent?: string) =>
  ({ url: new URL(`https://hub/api/v1/namespaces/default/configmaps/x${query}`), req: { headers: userAgent ? { 'user-agent': userAgent } : {} } as IncomingMessage }) as RequestContext;
const cm = (data: Record<string, string>, managedFields?: unknown[]): KubeObject =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'default', ...(managedFields ? { managedFields } : {}) }, data }) as KubeObject;

describe('field manager hooks', () => {
  it('the writer is the fieldManager parameter, else the user agent prefix; too long a name is 422', () => {
    const now = Date.UTC(2026, 0, 1, 12, 0, 0);
    expect(writerOf(ctx('?fieldManager=kubectl-edit', 'kubectl/v1.32'), 'v1', now)).toEqual({ manager: 'kubectl-edit', operation: 'Update', apiVersion: 'v1', time: '2026-01-01T12:00:00Z' });
    expect(writerOf(ctx('', 'kubectl/v1.32.0 (linux/amd64)'), 'v1', now).manager).toBe('kubectl');
    expect(writerOf(ctx(''), 'apps/v1', now, 'Update', 'scale')).toMatchObject({ manager: 'unknown', subresource: 'scale' });
    expect(() => writerOf(ctx(`?fieldManager=${'m'.repeat(129)}`), 'v1', now)).toThrow(/fieldManager: Too long/);
  });

  it('a write records what it changed for its manager; the stored managers are the base unless the body sets or resets them', () => {
    const who = { manager: 'editor', operation: 'Update' as const, apiVersion: 'v1', time: 't' };
    const created = trackUpdate(undefined, cm({ a: '1' }), 'ConfigMap', who);
    expect(created.metadata.managedFields).toEqual([{ ...who, fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }]);
    const other = { ...who, manager: 'other' };
    const changed = trackUpdate(created, cm({ a: '2', b: '1' }), 'ConfigMap', other);
    expect(changed.metadata.managedFields?.map((m) => [m.manager, m.fieldsV1])).toEqual([['other', { 'f:data': { 'f:a': {}, 'f:b': {} } }]]);
    const unchanged = trackUpdate(created, cm({ a: '1' }, created.metadata.managedFields), 'ConfigMap', other);
    expect(unchanged.metadata.managedFields).toEqual(created.metadata.managedFields);
    expect(trackUpdate(created, cm({ a: '1' }, [{}]), 'ConfigMap', other).metadata.managedFields).toBeUndefined();
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped objects */
import { describe, expect, it } from 'vitest';
import { applyConflictError, applyManager, parseApplyBody, planApply } from '../../../../hub/api/server-side-apply/apply.js';
import { managersOf, toEntries, type Manager } from '../../../../hub/api/server-side-apply/managed-fields.js';
import { ApiError } from '../../../../hub/api/status.js';

const apply = { manager: 'kubectl', operation: 'Apply' as const, apiVersion: 'apps/v1', time: '2026-01-01T00:00:00Z' };
const dep = (spec: Record<string, unknown>) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec });
const containers = (...c: Array<Record<string, unknown>>) => ({ template: { spec: { containers: c } } });

function run(live: Record<string, unknown> | undefined, applied: Record<string, unknown>, managers: Manager[], force = false) {
  return planApply({ live, applied, kind: 'Deployment', managers, who: apply, force });
}

describe('server-side apply', () => {
  it('creates: the applier owns what it applied', () => {
    const r = run(undefined, dep({ replicas: 1 }), []);
    expect(r.object).toEqual(dep({ replicas: 1 }));
    expect(toEntries(r.managers)).toEqual([{ ...apply, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }]);
  });

  it('merges keyed lists by key and keeps the fields of others', () => {
    const first = run(undefined, dep({ replicas: 1, ...containers({ name: 'a', image: 'x' }) }), []);
    const live = { ...first.object, spec: { ...(first.object.spec as object), paused: true } };
    const scaled = [...first.managers, ...managersOf({ metadata: { managedFields: [{ manager: 'other', operation: 'Update', apiVersion: 'apps/v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:paused': {} } } }] } })];
    const r = run(live, dep({ replicas: 1, ...containers({ name: 'a', image: 'y' }) }), scaled);
    expect((r.object.spec as any).paused).toBe(true);
    expect((r.object.spec as any).template.spec.containers).toEqual([{ name: 'a', image: 'y' }]);
  });

  it('removes what the applier leaves out unless another manager owns it', () => {
    const first = run(undefined, dep({ replicas: 1, paused: true, minReadySeconds: 5 }), []);
    const other = managersOf({ metadata: { managedFields: [{ manager: 'other', operation: 'Update', apiVersion: 'apps/v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:minReadySeconds': {} } } }] } });
    const r = run(first.object, dep({ replicas: 1 }), [...first.managers, ...other]);
    expect(r.object.spec).toEqual({ replicas: 1, minReadySeconds: 5 });
  });

  it('a change to a field another manager owns is a conflict; the same value is shared; force takes it', () => {
    const first = run(undefined, dep({ replicas: 1 }), []);
    const scaler = managersOf({ metadata: { managedFields: [{ manager: 'kubectl', operation: 'Update', subresource: 'scale', apiVersion: 'apps/v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }] } });
    const live = dep({ replicas: 2 });
    let error: unknown;
    try {
      run(live, dep({ replicas: 3 }), [...first.managers, ...scaler]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).toStatus()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'Conflict',
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl" with subresource "scale" using apps/v1', field: '.spec.replicas' }] },
    });
    const shared = run(live, dep({ replicas: 2 }), [...first.managers, ...scaler]);
    expect(shared.managers.map((m) => m.manager + (m.subresource ?? ''))).toEqual(['kubectl', 'kubectlscale']);
    const forced = run(live, dep({ replicas: 3 }), [...first.managers, ...scaler], true);
    expect((forced.object.spec as any).replicas).toBe(3);
    expect(forced.managers.map((m) => m.operation)).toEqual(['Apply']);
  });

  it('kubectl takes over the fields its client-side apply set (last-applied annotation), not others, and keeps the annotation current', () => {
    const annotation = 'kubectl.kubernetes.io/last-applied-configuration';
    const live = { ...dep({ replicas: 1, paused: true }), metadata: { name: 'web', annotations: { [annotation]: JSON.stringify(dep({ replicas: 1 })) } } };
    const csa = managersOf({
      metadata: { managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'apps/v1', time: 't', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:paused': {} } } }] },
    });
    const r = run(live, dep({ replicas: 2 }), csa);
    expect((r.object.spec as any).replicas).toBe(2);
    expect(JSON.parse((r.object.metadata as any).annotations[annotation])).toEqual(dep({ replicas: 2 }));
    expect(() => run(live, dep({ replicas: 1, paused: false }), csa)).toThrow('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.paused');
    expect(() => planApply({ live, applied: dep({ replicas: 2 }), kind: 'Deployment', managers: csa, who: { ...apply, manager: 'other' }, force: false })).toThrow(/conflict/);
  });

  it('lists several conflicts by manager', () => {
    const e = applyConflictError([
      { manager: { manager: 'b', operation: 'Apply', apiVersion: 'v1', time: '', fields: { member: false, children: new Map() } }, path: ['f:data', 'f:x'] },
      { manager: { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '', fields: { member: false, children: new Map() } }, path: ['f:data', 'f:y'] },
    ]);
    expect(e.message).toBe('Apply failed with 2 conflicts: conflicts with "a" using v1:\n- .data.y\nconflicts with "b":\n- .data.x');
  });

  it('reads YAML and JSON bodies and requires a field manager', () => {
    expect(parseApplyBody('kind: ConfigMap\ndata: {a: "1"}\n')).toEqual({ kind: 'ConfigMap', data: { a: '1' } });
    expect(parseApplyBody('{"kind":"ConfigMap"}')).toEqual({ kind: 'ConfigMap' });
    expect(() => parseApplyBody('- a')).toThrow(/one object/);
    expect(() => applyManager(new URLSearchParams())).toThrow('fieldManager: Required value: is required for apply patch');
    expect(applyManager(new URLSearchParams('fieldManager=me'))).toBe('me');
  });
});

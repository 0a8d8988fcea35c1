/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped objects */
import { describe, expect, it } from 'vitest';
import {
  changedFields,
  difference,
  fieldSetOf,
  fromFieldsV1,
  intersection,
  isEmpty,
  members,
  pathString,
  removeFields,
  setOfPaths,
  toFieldsV1,
  union,
  valueAt,
} from '../../../../hub/api/server-side-apply/fieldset.js';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, finalizers: ['a', 'b'] },
  spec: {
    replicas: 2,
    template: {
      spec: {
        containers: [{ name: 'web', image: 'nginx', command: ['sh', '-c'], ports: [{ containerPort: 80 }], env: [{ name: 'A', value: '1' }] }],
      },
    },
  },
};

describe('field sets (FieldsV1)', () => {
  it('names fields with f:, keyed items with k: and "." , set values with v:, atomic lists as leaves', () => {
    const json = toFieldsV1(fieldSetOf(deployment, 'Deployment')) as any;
    expect(json['f:metadata']['f:labels']).toEqual({ 'f:app': {} });
    expect(json['f:metadata']['f:finalizers']).toEqual({ 'v:"a"': {}, 'v:"b"': {} });
    expect(json['f:spec']['f:replicas']).toEqual({});
    const web = json['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"web"}'];
    expect(web['.']).toEqual({});
    expect(web['f:command']).toEqual({});
    expect(web['f:ports']).toEqual({ 'k:{"containerPort":80}': { '.': {}, 'f:containerPort': {} } });
    expect(web['f:env']['k:{"name":"A"}']).toEqual({ '.': {}, 'f:name': {}, 'f:value': {} });
  });

  it('reads back what it writes', () => {
    const set = fieldSetOf(deployment, 'Deployment');
    expect(toFieldsV1(fromFieldsV1(toFieldsV1(set)))).toEqual(toFieldsV1(set));
    expect(members(fromFieldsV1({ 'f:a': { '.': {}, 'f:b': {} } }))).toEqual([['f:a'], ['f:a', 'f:b']]);
  });

  it('unions, subtracts and intersects', () => {
    const a = setOfPaths([['f:spec', 'f:replicas'], ['f:spec', 'f:paused']]);
    const b = setOfPaths([['f:spec', 'f:replicas'], ['f:metadata', 'f:labels', 'f:x']]);
    expect(members(union(a, b))).toEqual([['f:spec', 'f:replicas'], ['f:spec', 'f:paused'], ['f:metadata', 'f:labels', 'f:x']]);
    expect(members(difference(a, b))).toEqual([['f:spec', 'f:paused']]);
    expect(members(intersection(a, b))).toEqual([['f:spec', 'f:replicas']]);
    expect(isEmpty(difference(a, a))).toBe(true);
  });

  it('prints paths as Kubernetes does', () => {
    expect(pathString(['f:spec', 'f:replicas'])).toBe('.spec.replicas');
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'])).toBe('.spec.containers[name="web"].image');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });

  it('finds values by path and tells which fields changed', () => {
    expect(valueAt(deployment, ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'])).toBe('nginx');
    expect(valueAt(deployment, ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"db"}'])).toBeUndefined();
    const after = structuredClone(deployment);
    after.spec.replicas = 3;
    after.spec.template.spec.containers[0]!.env.push({ name: 'B', value: '2' });
    const changed = members(changedFields(deployment, after, 'Deployment')).map(pathString);
    expect(changed).toEqual(['.spec.replicas', '.spec.template.spec.containers[name="web"].env[name="B"]', '.spec.template.spec.containers[name="web"].env[name="B"].name', '.spec.template.spec.containers[name="web"].env[name="B"].value']);
  });

  it('removes fields, keyed items and set values, and the objects and lists they leave empty', () => {
    const removed = removeFields(
      deployment,
      setOfPaths([
        ['f:metadata', 'f:labels', 'f:app'],
        ['f:metadata', 'f:finalizers', 'v:"a"'],
        ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:env', 'k:{"name":"A"}'],
        ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:env', 'k:{"name":"A"}', 'f:value'],
      ]),
    ) as any;
    expect(removed.metadata.labels).toBeUndefined();
    expect(removed.metadata.finalizers).toEqual(['b']);
    expect(removed.spec.template.spec.containers[0].env).toBeUndefined();
    expect(removed.spec.template.spec.containers[0].image).toBe('nginx');
    expect(deployment.metadata.labels).toEqual({ app: 'web' }); // not modified
  });
});

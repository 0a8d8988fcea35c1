import { describe, expect, it } from 'vitest';
import { applyStrategicMergePatch, listStrategy } from '../../../hub/api/strategic-merge-patch.js';
import { applyJsonPatch } from '../../../hub/api/json-patch.js';
import { ApiError } from '../../../hub/api/status.js';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', finalizers: ['a'] },
  spec: {
    template: {
      spec: {
        containers: [
          { name: 'web', image: 'nginx:1.26', command: ['httpd', '-f'], env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }], ports: [{ containerPort: 80 }] },
          { name: 'side', image: 'busybox', command: ['sleep', '1d'] },
        ],
        tolerations: [{ key: 'x', operator: 'Exists' }],
      },
    },
  },
});
const containers = (o: unknown) => (o as ReturnType<typeof deployment>).spec.template.spec.containers;

describe('strategic merge patch', () => {
  it("`kubectl set image`'s patch changes the image and keeps the container's command and the other container", () => {
    // what kubectl 1.32 sends for `set image deployment/web web=nginx:1.27`
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'web' }], containers: [{ image: 'nginx:1.27', name: 'web' }] } } } };
    const out = applyStrategicMergePatch(deployment(), patch, 'Deployment');
    expect(containers(out).map((c) => [c.name, c.image, c.command])).toEqual([
      ['web', 'nginx:1.27', ['httpd', '-f']],
      ['side', 'busybox', ['sleep', '1d']],
    ]);
  });

  it('merges env by name, ports by containerPort, appends new items, and $patch: delete removes one', () => {
    const patch = {
      spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }, { name: 'A', $patch: 'delete' }], ports: [{ containerPort: 443 }] }] } } },
    };
    const [web] = containers(applyStrategicMergePatch(deployment(), patch, 'Deployment'));
    expect(web!.env).toEqual([{ name: 'B', value: 'two' }, { name: 'C', value: '3' }]);
    expect(web!.ports).toEqual([{ containerPort: 80 }, { containerPort: 443 }]);
  });

  it('replaces a list with $patch: replace, and lists without a strategy (tolerations, command) whole', () => {
    const patch = {
      spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }], tolerations: [{ key: 'y', operator: 'Exists' }] } } },
    };
    const out = applyStrategicMergePatch(deployment(), patch, 'Deployment') as ReturnType<typeof deployment>;
    expect(out.spec.template.spec.containers).toEqual([{ name: 'only', image: 'x' }]);
    expect(out.spec.template.spec.tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
  });

  it('orders a merged list by $setElementOrder; items it does not name follow', () => {
    const patch = { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'side' }, { name: 'web' }], containers: [{ name: 'side', image: 'busybox:2' }] } } } };
    expect(containers(applyStrategicMergePatch(deployment(), patch, 'Deployment')).map((c) => c.name)).toEqual(['side', 'web']);
  });

  it('merges finalizers as a set; $deleteFromPrimitiveList removes; null deletes a field; $retainKeys keeps only what it names', () => {
    const out = applyStrategicMergePatch(
      deployment(),
      { metadata: { finalizers: ['a', 'b'], '$deleteFromPrimitiveList/finalizers': ['a'] }, spec: { template: { spec: { tolerations: null, $retainKeys: ['containers'] } } } },
      'Deployment',
    ) as ReturnType<typeof deployment>;
    expect(out.metadata.finalizers).toEqual(['b']);
    expect(Object.keys(out.spec.template.spec)).toEqual(['containers']);
  });

  it("merges a Service's ports by port, a container's by containerPort", () => {
    expect(listStrategy('Service', ['spec', 'ports'])).toEqual({ mergeKey: 'port' });
    expect(listStrategy('Pod', ['spec', 'containers', 'ports'])).toEqual({ mergeKey: 'containerPort' });
    expect(listStrategy('Pod', ['spec', 'tolerations'])).toBeUndefined();
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443, name: 'https' }] } }, 'Service') as typeof svc;
    expect(out.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 9090 }, { port: 443, name: 'https' }]);
  });

  it('refuses an unknown directive, an item without its merge key, and a patch that is not an object, with a 400 naming the place', () => {
    const bad = (patch: unknown) => () => applyStrategicMergePatch(deployment(), patch, 'Deployment');
    expect(bad({ spec: { $patch: 'explode' } })).toThrow(/at spec: unknown \$patch directive "explode"/);
    expect(bad({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).toThrow(/spec\.template\.spec\.containers: an item has no merge key "name"/);
    expect(bad([1])).toThrow(ApiError);
  });

  it('leaves its arguments alone', () => {
    const original = deployment();
    const patch = { spec: { template: { spec: { containers: [{ name: 'web', image: 'y' }] } } } };
    applyStrategicMergePatch(original, patch, 'Deployment');
    expect(original).toEqual(deployment());
    expect(patch.spec.template.spec.containers).toEqual([{ name: 'web', image: 'y' }]);
  });
});

describe('JSON patch', () => {
  it('applies add, replace, remove and test in order, leaving its target alone', () => {
    const original = deployment();
    const out = applyJsonPatch(original, [
      { op: 'test', path: '/spec/template/spec/containers/0/name', value: 'web' },
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:1.27' },
      { op: 'add', path: '/metadata/labels', value: { app: 'web' } },
      { op: 'remove', path: '/spec/template/spec/containers/1' },
    ], 'Deployment', 'web') as ReturnType<typeof deployment> & { metadata: { labels: unknown } };
    expect(containers(out).map((c) => [c.name, c.image, c.command])).toEqual([['web', 'nginx:1.27', ['httpd', '-f']]]);
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(original).toEqual(deployment());
  });

  it('refuses the whole patch with 422 when a test fails or a path is not there', () => {
    const run = (ops: unknown[]) => {
      try {
        applyJsonPatch(deployment(), ops, 'Deployment', 'web');
        return undefined;
      } catch (err) {
        return err as ApiError;
      }
    };
    const failed = run([{ op: 'test', path: '/metadata/name', value: 'other' }]);
    expect(failed?.reason).toBe('Invalid');
    expect(failed?.message).toMatch(/Deployment "web" is invalid: patch: the test operation failed/);
    expect(run([{ op: 'remove', path: '/spec/nothing/here' }])?.reason).toBe('Invalid');
    expect(run([{ op: 'explode', path: '/x' }])?.reason).toBe('Invalid');
  });
});

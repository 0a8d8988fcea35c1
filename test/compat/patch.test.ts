/**
 * The real kubectl (the one on PATH) against a real hub over HTTPS: the commands that send patches.
 * `set image`, `patch` (strategic, merge, json), `label`, `annotate` and `rollout undo` change what
 * they name and nothing else, as against Kubernetes (before: `set image` dropped the container's
 * command, `patch --type=json` and `rollout undo` got 415).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCompatHub, type CompatHub } from './support.js';

interface DeploymentJson {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { name: string; image: string; command?: string[]; env?: { name: string; value: string }[] }[] } } };
}

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 0
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
        - name: web
          image: registry.local/nginx:1.26
          command: ["httpd", "-f", "-p", "8080"]
          env:
            - { name: A, value: "1" }
        - name: side
          image: drover.local/busybox:test
          command: ["sleep", "3600"]
`;

describe('kubectl patches (real kubectl, real hub over HTTPS)', () => {
  let h: CompatHub;
  beforeAll(async () => {
    h = await startCompatHub('patch');
  });
  afterAll(async () => {
    await h?.close();
  });

  const kubectl = (args: string[], input?: string) => h.kubectl(args, input);
  const get = async () => JSON.parse((await kubectl(['get', 'deployment', 'web', '-o', 'json'])).out) as DeploymentJson;
  const byName = (d: DeploymentJson, name: string) => d.spec.template.spec.containers.find((c) => c.name === name)!;
  /**
   * Wait until the Deployment controller made the ReplicaSet of the current template: it reconciles an
   * object at most every 250 ms, so two template changes in a row can make one revision, as Kubernetes'
   * controller may too, and `rollout undo` would go back further than the test means.
   */
  const waitRevisions = async (n: number) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const rs = JSON.parse((await kubectl(['get', 'replicasets', '-l', 'app=web', '-o', 'json'])).out) as { items: unknown[] };
      if (rs.items.length >= n) return;
      if (Date.now() > deadline) throw new Error(`only ${rs.items.length} of ${n} ReplicaSets of web after 20 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('set image changes the image and keeps the command and the other container', async () => {
    expect((await kubectl(['apply', '--validate=false', '-f', '-'], manifest)).code).toBe(0);
    const r = await kubectl(['set', 'image', 'deployment/web', 'web=registry.local/nginx:1.27']);
    expect(r.out).toContain('deployment.apps/web image updated');
    const d = await get();
    expect(byName(d, 'web')).toMatchObject({ image: 'registry.local/nginx:1.27', command: ['httpd', '-f', '-p', '8080'] });
    expect(byName(d, 'side')).toMatchObject({ image: 'drover.local/busybox:test', command: ['sleep', '3600'] });
    await waitRevisions(2);
  });

  it('patch: strategic (the default) merges env by name; merge replaces; json applies operations and a failed test changes nothing', async () => {
    const strategic = await kubectl(['patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"2"}]}]}}}}']);
    expect(strategic.out).toContain('deployment.apps/web patched');
    expect(byName(await get(), 'web').env).toEqual([{ name: 'A', value: '1' }, { name: 'B', value: '2' }]);
    expect(byName(await get(), 'side').command).toEqual(['sleep', '3600']);
    await waitRevisions(3);

    const json = await kubectl(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2},{"op":"add","path":"/metadata/labels","value":{"tier":"front"}}]']);
    expect(json.out).toContain('deployment.apps/web patched');
    const afterJson = await get();
    expect(afterJson.spec.replicas).toBe(2);
    expect(afterJson.metadata.labels).toEqual({ tier: 'front' });

    const failed = await kubectl(['patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"test","path":"/spec/replicas","value":5},{"op":"replace","path":"/spec/replicas","value":9}]']);
    expect(failed.code).not.toBe(0);
    expect(failed.out).toMatch(/invalid/i);
    expect((await get()).spec.replicas).toBe(2);

    const merge = await kubectl(['patch', 'deployment', 'web', '--type=merge', '-p', '{"spec":{"replicas":0}}']);
    expect(merge.code).toBe(0);
    expect((await get()).spec.replicas).toBe(0);
  });

  it('label and annotate add, change and remove', async () => {
    expect((await kubectl(['label', 'deployment', 'web', 'env=edge'])).out).toContain('deployment.apps/web labeled');
    expect((await kubectl(['annotate', 'deployment', 'web', 'owner=ops'])).out).toContain('deployment.apps/web annotated');
    expect((await kubectl(['label', 'deployment', 'web', 'tier-'])).code).toBe(0);
    const d = await get();
    expect(d.metadata.labels).toEqual({ env: 'edge' });
    expect(d.metadata.annotations?.owner).toBe('ops');
  });

  it('rollout undo puts the previous template back', async () => {
    // every template change above made a ReplicaSet revision; undo goes back one (the env change)
    const undo = await kubectl(['rollout', 'undo', 'deployment/web']);
    expect(undo.out).toContain('deployment.apps/web rolled back');
    expect(byName(await get(), 'web').env).toEqual([{ name: 'A', value: '1' }]);
    expect(byName(await get(), 'web').image).toBe('registry.local/nginx:1.27');
  });
});

/* eslint-disable @typescript-eslint/no-explicit-any -- tests read untyped JSON answers */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml } from '../../../hub/api/status-page.js';
import { pod, putNode, startTestApi, type TestApi } from './support.js';

describe('status page', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await putNode(api.store, 'pi-kitchen', {
      capacity: { cpu: '4', memory: '3906252Ki', 'ephemeral-storage': '30Gi' },
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString() }],
      nodeInfo: { architecture: 'arm64', containerRuntimeVersion: '<script>alert(1)</script>' },
      usage: { cpuPercent: 12.5, memoryUsedBytes: 1024 ** 3, diskUsedBytes: 5 * 1024 ** 3, timestamp: new Date().toISOString() },
    });
    await api.call('POST', '/api/v1/namespaces/default/pods', { body: pod('web', { nodeName: 'pi-kitchen', hostPort: 8080 }) });
  });
  afterAll(async () => {
    await api.close();
  });

  it('renders nodes and pods, escaped, self-contained', async () => {
    const res = await fetch(`${api.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('pi-kitchen');
    expect(html).toContain('arm64');
    expect(html).toContain('4 cores, 13%');
    expect(html).toContain('8080:80/TCP');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/(src|href)=["']?https?:/); // no external assets
    // The inline script is valid JavaScript and allowed by the page's CSP nonce.
    const script = /<script nonce="([^"]+)">([\s\S]*?)<\/script>/.exec(html)!;
    expect(res.headers.get('content-security-policy')).toContain(`'nonce-${script[1]}'`);
    expect(() => new Function(script[2]!)).not.toThrow();
  });

  it('serves the JSON summary the page refreshes from', async () => {
    const r = await api.call('GET', '/status.json', { token: null });
    expect(r.status).toBe(200);
    const node = r.body.nodes.find((n: any) => n.name === 'pi-kitchen');
    expect(node).toMatchObject({ ready: 'True', arch: 'arm64', cpuCores: 4, pods: 1, diskTotalBytes: 30 * 1024 ** 3 });
    expect(r.body.pods).toContainEqual(expect.objectContaining({ namespace: 'default', name: 'web', node: 'pi-kitchen', status: 'Pending', ready: '0/1' }));
  });

  it('escapeHtml escapes the five HTML specials', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

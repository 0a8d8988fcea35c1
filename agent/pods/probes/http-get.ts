/**
 * httpGet probe, as the kubelet runs it: GET scheme://host:port/path from the agent, any status from
 * 200 to 399 is success (redirects are not followed: a 3xx is already a success). HTTPS does not check
 * the certificate. Headers from the probe override the defaults (User-Agent, Accept); a Host header
 * sets the virtual host. node:http and node:https are loaded by the first httpGet probe that needs them,
 * not with the agent: most devices run no httpGet probe (about 0.5 MiB of heap and binary pages).
 */
import type { IncomingMessage } from 'node:http';
import { failure, settleOnce, success, type ProbeOutcome } from './outcome.js';
import { hostPort } from './tcp-socket.js';

export const PROBE_USER_AGENT = 'kube-probe/drover';

export interface HttpProbeTarget {
  scheme: 'HTTP' | 'HTTPS';
  host: string;
  port: number;
  path: string;
  headers: { name: string; value: string }[];
  timeoutMs: number;
}

export function probeUrl(target: Pick<HttpProbeTarget, 'scheme' | 'host' | 'port' | 'path'>): string {
  const path = target.path.startsWith('/') ? target.path : `/${target.path}`;
  return `${target.scheme.toLowerCase()}://${hostPort(target.host, target.port)}${path}`;
}

export async function runHttpGetProbe(target: HttpProbeTarget): Promise<ProbeOutcome> {
  const url = probeUrl(target);
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const h of target.headers) {
    const existing = Object.keys(headers).find((k) => k.toLowerCase() === h.name.toLowerCase());
    if (existing) delete headers[existing];
    headers[h.name] = h.value;
  }
  const { request } = target.scheme === 'HTTPS' ? await import('node:https') : await import('node:http');
  return settleOnce(
    target.timeoutMs,
    () => failure(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers after ${target.timeoutMs / 1000}s)`),
    (finish) => {
      const req = request(url, { method: 'GET', headers, rejectUnauthorized: false }, (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        res.resume(); // the body is not needed
        if (status >= 200 && status < 400) finish(success(`HTTP probe succeeded with statuscode: ${status}`));
        else finish(failure(`HTTP probe failed with statuscode: ${status}`));
      });
      req.once('error', (err) => finish(failure(`Get "${url}": ${err.message}`)));
      req.end();
      return req;
    },
  );
}

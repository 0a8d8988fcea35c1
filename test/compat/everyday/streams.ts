/**
 * kubectl's streams over WebSocket (v5.channel.k8s.io, and SPDY/3.1 tunnelled for port-forward), relayed
 * by the hub to the agent over MQTT: exec (stdout, stderr and the exit code), exec -i (stdin), exec -it
 * (a terminal: kubectl under `script`), logs -f (a line written after it started) and port-forward (an
 * HTTP GET through it to busybox httpd in a pod of its own, deleted by the row).
 */
import { execa } from 'execa';
import { expect } from 'vitest';
import { TEST_IMAGE, waitFor } from '../../e2e/support.js';
import type { Row } from './row.js';
import type { Scenario } from './scenario.js';

const webPod = async (s: Scenario): Promise<string> => {
  if (!s.memo.execPod) s.memo.execPod = (await s.livePods('app=web'))[0]!.metadata.name;
  return String(s.memo.execPod);
};

const PAGE = 'hello-through-port-forward';
/** Without the pod network the container shares the host's network: a port no one else uses. */
const HTTPD_PORT = 20_000 + (process.pid % 20_000);

const httpdPod = `apiVersion: v1
kind: Pod
metadata: { name: pf-web, labels: { app: pf-web } }
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: httpd
      image: ${TEST_IMAGE}
      imagePullPolicy: Never
      command: ["sh", "-c", "mkdir -p /tmp/w && echo ${PAGE} > /tmp/w/index.html && exec httpd -f -p ${HTTPD_PORT} -h /tmp/w"]
`;

let forwardedPort: string | undefined;

export const streamRows: Row[] = [
  {
    name: 'kubectl exec POD -- sh -c (stdout, stderr, exit 3)',
    args: async (s) => ['exec', await webPod(s), '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
    check(r) {
      expect(r.code).toBe(3);
      expect(r.stdout).toBe('out');
      expect(r.stderr).toMatch(/^err$/m);
      expect(r.stderr).toContain('command terminated with exit code 3');
    },
  },
  {
    name: 'kubectl exec -i POD -- cat',
    args: async (s) => ['exec', '-i', await webPod(s), '--', 'cat'],
    stdin: 'hi\nthere\n',
    check(r) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('hi\nthere');
    },
  },
  {
    name: 'kubectl exec -it POD -- tty (under script)',
    tty: true,
    args: async (s) => ['exec', '-it', await webPod(s), '--', 'tty'],
    check(r) {
      // the remote terminal's line (CR LF, and the local one's CR); after it only what the local terminal
      // echoes of script's end of input (^@ or ^D), never the runtime CLI's own messages (ctr's resize pty)
      const [first, ...rest] = r.stdout.split('\n');
      expect(first).toMatch(/^\/dev\/pts\/\d+\r*$/);
      expect(rest.join('\n').trim()).toMatch(/^(\^[@D])*$/);
      expect(r.code).toBe(0);
    },
  },
  {
    name: 'kubectl logs -f POD --tail=1',
    args: async (s) => ['logs', '-f', await webPod(s), '--tail=1'],
    watch: {
      ready: (out) => /^line \d+$/m.test(out),
      change: async () => undefined,
      // a line a second: the next one, written after kubectl started following
      until: (out) => out.split('\n').filter((l) => /^line \d+$/.test(l)).length >= 3,
    },
    check(r) {
      const numbers = r.stdout.split('\n').filter(Boolean).map((l) => Number(/^line (\d+)$/.exec(l)?.[1]));
      expect(numbers.length).toBeGreaterThanOrEqual(3);
      numbers.forEach((n, i) => expect(n).toBe(numbers[0]! + i));
    },
  },
  {
    name: 'kubectl port-forward pod/pf-web 0:PORT + an HTTP GET through it',
    async before(s) {
      forwardedPort = undefined;
      const applied = await s.kubectl(['apply', '-f', '-'], { stdin: httpdPod });
      if (applied.code !== 0) throw new Error(`apply pf-web: ${applied.out}`);
      await waitFor('pf-web Running', async () => (await s.kubectl(['get', 'pod', 'pf-web', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running', 60_000, 500);
    },
    args: ['port-forward', 'pod/pf-web', `0:${HTTPD_PORT}`],
    watch: {
      ready: (out) => {
        forwardedPort = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out)?.[1];
        return forwardedPort !== undefined;
      },
      change: async (s) => {
        const pages: string[] = [];
        // twice: each connection is its own stream pair on the one tunnel
        for (let i = 0; i < 2; i++) {
          const r = await execa('curl', ['-sS', '--max-time', '20', `http://127.0.0.1:${forwardedPort}/`], { reject: false });
          pages.push(r.exitCode === 0 ? r.stdout : `curl exit ${r.exitCode}: ${r.stderr}`);
        }
        s.memo.forwardedPages = pages;
      },
      until: () => true,
    },
    async check(r, s) {
      try {
        expect(r.stdout).toMatch(/^Forwarding from 127\.0\.0\.1:\d+ -> \d+$/m);
        expect(s.memo.forwardedPages).toEqual([PAGE, PAGE]);
        expect(r.stdout).toMatch(/^Handling connection for \d+$/m);
      } finally {
        // a bare pod: drain (nodes area) would refuse it
        await s.kubectl(['delete', 'pod', 'pf-web', '--grace-period=0', '--force']);
      }
    },
  },
];

/** The objects the everyday rows apply: a Deployment on busybox that logs a line a second, its ConfigMap, a pod that ignores SIGTERM. */
import { TEST_IMAGE } from '../../e2e/support.js';

export const WEB_COMMAND = ['sh', '-c', 'echo started; i=0; while true; do i=$((i+1)); echo line $i; sleep 1; done'];

/** The Deployment `web` (2 replicas) and the ConfigMap `web-settings`; `setting` and `tier` vary between applies. */
export function webManifests(o: { setting: string; tier?: string }): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
${o.tier ? `    tier: ${o.tier}\n` : ''}spec:
  replicas: 2
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: web
          image: ${TEST_IMAGE}
          imagePullPolicy: Never
          command: ${JSON.stringify(WEB_COMMAND)}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
  labels: { app: web-settings }
data:
  setting: "${o.setting}"
`;
}

export const SETTINGS_MANIFEST = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  setting: "anything"
`;

/** What a view token may not create. */
export const FORBIDDEN_CONFIGMAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: not-allowed
data: { a: "1" }
`;

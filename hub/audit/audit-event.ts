/**
 * One line of the audit log: Kubernetes' audit.k8s.io/v1 Event at the Metadata level (who, what,
 * which object, the answer; never a request or response body), so that tools reading
 * kube-apiserver's audit log read the hub's. The user is the API token's id, never its secret.
 */

/** How much is recorded: Kubernetes' audit levels Drover has (None: nothing; Metadata: every request, no bodies). */
export const AUDIT_LEVELS = ['None', 'Metadata'] as const;
export type AuditLevel = (typeof AUDIT_LEVELS)[number];

export interface AuditObjectRef {
  /** Plural resource: "pods", "deployments", "jointokens". */
  resource: string;
  namespace?: string;
  name?: string;
  /** '' for the core group. */
  apiGroup: string;
  apiVersion: string;
  /** "status", "log", "exec", "scale". */
  subresource?: string;
}

export interface AuditEvent {
  kind: 'Event';
  apiVersion: 'audit.k8s.io/v1';
  level: 'Metadata';
  auditID: string;
  /** ResponseStarted (a watch's stream began), ResponseComplete (the answer was sent). */
  stage: 'ResponseStarted' | 'ResponseComplete';
  /** The path and query, with any `token` query parameter's value left out. */
  requestURI: string;
  /** get, list, watch, create, update, patch, delete; the HTTP method (lower case) off resource paths. */
  verb: string;
  /** username: the API token's id (system:anonymous without one); groups: its role ("drover:edit"). */
  user: { username: string; groups: string[]; extra?: Record<string, string[]> };
  sourceIPs: string[];
  userAgent?: string;
  objectRef?: AuditObjectRef;
  responseStatus: { metadata: Record<string, never>; code: number; status?: 'Failure'; reason?: string; message?: string };
  requestReceivedTimestamp: string;
  stageTimestamp: string;
  /** Pod Security's audit annotations (pod-security.kubernetes.io/enforce-policy, audit-violations, exempt). */
  annotations?: Record<string, string>;
}

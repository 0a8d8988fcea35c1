/**
 * The scale subresource as autoscaling/v1 Scale, one view for the API (`.../NAME/scale`) and the
 * HorizontalPodAutoscaler controller, which scales any kind listed here through it, as Kubernetes' HPA
 * scales whatever serves /scale. A kind listed here that Drover does not serve yet is simply not found.
 */
import { selectorToString, type LabelSelector } from './labels.js';
import type { KubeObject } from './objects/meta.js';

/** The kinds with a scale subresource (StatefulSet once it is served). */
export const SCALABLE_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet'] as const;

export function isScalableKind(kind: string): boolean {
  return (SCALABLE_KINDS as readonly string[]).includes(kind);
}

export interface Scalable extends KubeObject {
  spec: { replicas?: number; selector?: LabelSelector };
  status?: { replicas?: number };
}

export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string | null };
  spec: { replicas: number };
  status: { replicas: number; selector: string };
}

export function scaleOf(obj: Scalable): Scale {
  const m = obj.metadata;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.resourceVersion ? { resourceVersion: m.resourceVersion } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    // Kubernetes defaults Deployment, ReplicaSet and StatefulSet replicas to 1
    spec: { replicas: obj.spec.replicas ?? 1 },
    status: { replicas: obj.status?.replicas ?? 0, selector: obj.spec.selector ? selectorToString(obj.spec.selector) : '' },
  };
}

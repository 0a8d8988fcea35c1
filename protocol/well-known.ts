/**
 * Well-known labels, annotations and taints: the names Kubernetes (and Drover) give special meaning,
 * defined once for the hub, the agent and the CLI (Kubernetes keeps them in k8s.io/api's
 * well_known_labels.go, well_known_taints.go and annotation_key_constants.go).
 */

/** Node labels. The agent sets the first three from its facts; every other label is the admin's. */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
/** The version of the agent bundle a node runs (`0.1.0`), set by the agent itself: `drover get nodes -L drover.io/agent-version`. */
export const LABEL_AGENT_VERSION = 'drover.io/agent-version';
/** Labels an agent may set on its own Node (anything else it sends is ignored). */
export const AGENT_OWNED_NODE_LABELS = [LABEL_ARCH, LABEL_OS, LABEL_HOSTNAME, LABEL_AGENT_VERSION] as const;
/** The prefix of nodeInfo.kubeletVersion before the agent's version (`drover-0.1.0`). */
export const AGENT_KUBELET_VERSION_PREFIX = 'drover-';

/**
 * An agent version as a label value: a label value allows only [A-Za-z0-9._-] (63 at most), so semver's
 * build separator `+` becomes `_` (`0.3.0+pi` -> `0.3.0_pi`).
 */
export function agentVersionLabelValue(version: string): string {
  return version.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/**
 * The Node condition types the kubelet sets (k8s.io/api core/v1 NodeConditionType). Ready is the hub's
 * to set (from what the node sends and when); the others an agent reports from what it measures, and
 * node health turns them Unknown when the node goes quiet, as Kubernetes' node lifecycle controller does.
 */
export const NODE_CONDITION_READY = 'Ready';
export const AGENT_NODE_CONDITION_TYPES = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'NetworkUnavailable'] as const;

/** Pod labels the workload controllers add. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';
/** A StatefulSet pod's own name and ordinal, as labels (Kubernetes adds both, so a Service can select one pod). */
export const STATEFULSET_POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/**
 * A pod annotation: `hub` makes the agent pull the pod's images from the Drover hub's registry (images
 * pushed with `drover image push`) instead of the registries they name. Without it the agent still turns
 * to the hub when a registry pull fails.
 */
export const IMAGE_SOURCE_ANNOTATION = 'drover.io/image-source';

/** Deployment / ReplicaSet annotations (the Deployment controller's bookkeeping, read by `rollout`). */
export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** What the client wrote on a change (`--record`, kubectl's change-cause), shown by `rollout history`. */
export const CHANGE_CAUSE_ANNOTATION = 'kubernetes.io/change-cause';
/** Set on a pod template by `rollout restart`. */
export const RESTARTED_AT_ANNOTATION = 'kubectl.kubernetes.io/restartedAt';
/** The manifest `apply` last wrote, for its three-way merge. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Node annotations the hub writes from what the node's agent reports of its overlay end (as flannel's). */
export const ANNOTATION_VTEP_MAC = 'network.drover.io/vtep-mac';
/** EndpointSlice labels, as Kubernetes' EndpointSlice controller sets them. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_ENDPOINTSLICE_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const ENDPOINTSLICE_CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
/** The managed-by value of the slices mirrored from a user's Endpoints (a Service without a selector). */
export const ENDPOINTSLICE_MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
/** On Endpoints the hub writes itself: not to be mirrored into EndpointSlices (they have their own). */
export const LABEL_SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';

/** Taints the node lifecycle puts on nodes, as Kubernetes does; pods may tolerate them. */
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';

/**
 * Pod Security admission (Kubernetes' pod-security.kubernetes.io/*): Namespace labels choosing a level
 * (privileged, baseline, restricted) and a version ("latest" or "v1.N") per mode, and the audit
 * annotations the admission adds.
 */
export const POD_SECURITY_LABEL_PREFIX = 'pod-security.kubernetes.io/';
export const LABEL_POD_SECURITY_ENFORCE = 'pod-security.kubernetes.io/enforce';
export const LABEL_POD_SECURITY_ENFORCE_VERSION = 'pod-security.kubernetes.io/enforce-version';
export const LABEL_POD_SECURITY_WARN = 'pod-security.kubernetes.io/warn';
export const LABEL_POD_SECURITY_WARN_VERSION = 'pod-security.kubernetes.io/warn-version';
export const LABEL_POD_SECURITY_AUDIT = 'pod-security.kubernetes.io/audit';
export const LABEL_POD_SECURITY_AUDIT_VERSION = 'pod-security.kubernetes.io/audit-version';
export const ANNOTATION_POD_SECURITY_ENFORCE_POLICY = 'pod-security.kubernetes.io/enforce-policy';
export const ANNOTATION_POD_SECURITY_AUDIT_VIOLATIONS = 'pod-security.kubernetes.io/audit-violations';
export const ANNOTATION_POD_SECURITY_EXEMPT = 'pod-security.kubernetes.io/exempt';

/** The namespace for the cluster's own pods (the admin's), as in Kubernetes; Pod Security's default there is privileged. */
export const SYSTEM_NAMESPACE = 'kube-system';

/**
 * Event sources (source.component, reportingComponent) that name the cluster's own components: the
 * hub's controllers and scheduler, the agent, and Kubernetes' names for the same jobs. Only those
 * components (and admin tokens) may record Events as them; any name starting with `drover-` is
 * reserved too.
 */
export const COMPONENT_EVENT_SOURCES: readonly string[] = [
  'drover-agent',
  'kubelet',
  'kube-proxy',
  'default-scheduler',
  'kube-scheduler',
  'kube-controller-manager',
  'replicaset-controller',
  'deployment-controller',
  'daemonset-controller',
  'statefulset-controller',
  'job-controller',
  'cronjob-controller',
  'horizontal-pod-autoscaler',
  'node-controller',
  'node-ipam-controller',
  'taint-eviction-controller',
  'endpointslice-controller',
  'endpoint-controller',
  'garbage-collector-controller',
  'namespace-controller',
];
export const COMPONENT_EVENT_SOURCE_PREFIX = 'drover-';

/** batch/v1 Job labels and annotations, as Kubernetes' API server and job controller set them. */
export const LABEL_JOB_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
/** The legacy forms, still set alongside by Kubernetes. */
export const LABEL_LEGACY_CONTROLLER_UID = 'controller-uid';
export const LABEL_LEGACY_JOB_NAME = 'job-name';
/** An Indexed Job's pod index (annotation and label); the container sees it as JOB_COMPLETION_INDEX. */
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** The scheduled time a CronJob created a Job for. */
export const ANNOTATION_CRONJOB_SCHEDULED_TIMESTAMP = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** Storage: the default StorageClass marker, the node a WaitForFirstConsumer claim's volume goes to, and the finalizers. */
export const ANNOTATION_DEFAULT_STORAGE_CLASS = 'storageclass.kubernetes.io/is-default-class';
export const ANNOTATION_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** Set on a claim the binder handles (Kubernetes' pv controller: "bind-completed", "storage-provisioner"). */
export const ANNOTATION_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
export const ANNOTATION_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
export const ANNOTATION_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANNOTATION_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
export const FINALIZER_PVC_PROTECTION = 'kubernetes.io/pvc-protection';
export const FINALIZER_PV_PROTECTION = 'kubernetes.io/pv-protection';
/** The built-in node-local provisioner and its StorageClass (K3s' local-path-provisioner, on the agent). */
export const LOCAL_PATH_PROVISIONER = 'drover.io/local-path';
export const LOCAL_PATH_STORAGE_CLASS = 'local-path';
/** Where a node's agent keeps local-path volumes (`<data dir>/volumes`), as it reports it (written by the hub from its status). */
export const ANNOTATION_LOCAL_VOLUME_DIR = 'storage.drover.io/local-volume-dir';

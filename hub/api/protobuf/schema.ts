/**
 * The protobuf messages of the Kubernetes kinds Drover serves, as .proto text for protobufjs: the
 * wire format of k8s.io/api (core/v1, apps/v1, batch/v1, policy/v1, storage/v1) and k8s.io/apimachinery (meta/v1, runtime,
 * intstr, resource), with Kubernetes' field numbers and JSON names. Only the messages and fields
 * Drover's schemas read are listed, plus fields that Drover refuses (typed `Opaque`, so that a body
 * setting them still fails validation naming the field, as its JSON would); a field number not listed is
 * skipped when decoding, as Kubernetes itself skips unknown protobuf fields. Status and the lists of every
kind are here too, for answers in protobuf. See NOTICE beside this file.
 */
export const KUBERNETES_PROTO = `
syntax = "proto2";

package drover.k8s;

// Any message Drover does not read: decodes to {} so that validation names the field that set it.
message Opaque {}

// k8s.io/apimachinery/pkg/runtime
message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}

// k8s.io/apimachinery/pkg/util/intstr, pkg/api/resource
message IntOrString { optional int64 type = 1; optional int32 intVal = 2; optional string strVal = 3; }
message Quantity { optional string string = 1; }

// k8s.io/apimachinery/pkg/apis/meta/v1
message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message MicroTime { optional int64 seconds = 1; optional int32 nanos = 2; }
message OwnerReference {
  optional string kind = 1; optional string name = 3; optional string uid = 4; optional string apiVersion = 5;
  optional bool controller = 6; optional bool blockOwnerDeletion = 7;
}
message ObjectMeta {
  optional string name = 1; optional string generateName = 2; optional string namespace = 3; optional string selfLink = 4;
  optional string uid = 5; optional string resourceVersion = 6; optional int64 generation = 7;
  optional Time creationTimestamp = 8; optional Time deletionTimestamp = 9; optional int64 deletionGracePeriodSeconds = 10;
  map<string, string> labels = 11; map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13; repeated string finalizers = 14;
  repeated ManagedFieldsEntry managedFields = 17;
}
message FieldsV1 { optional bytes Raw = 1; }
message ManagedFieldsEntry {
  optional string manager = 1; optional string operation = 2; optional string apiVersion = 3; optional Time time = 4;
  optional string fieldsType = 6; optional FieldsV1 fieldsV1 = 7; optional string subresource = 8;
}
message LabelSelectorRequirement { optional string key = 1; optional string operator = 2; repeated string values = 3; }
message LabelSelector { map<string, string> matchLabels = 1; repeated LabelSelectorRequirement matchExpressions = 2; }
message Preconditions { optional string uid = 1; optional string resourceVersion = 2; }
message DeleteOptions {
  optional int64 gracePeriodSeconds = 1; optional Preconditions preconditions = 2; optional bool orphanDependents = 3;
  optional string propagationPolicy = 4; repeated string dryRun = 5;
}
message ListMeta { optional string selfLink = 1; optional string resourceVersion = 2; optional string continue = 3; optional int64 remainingItemCount = 4; }
message StatusCause { optional string reason = 1; optional string message = 2; optional string field = 3; }
message StatusDetails {
  optional string name = 1; optional string group = 2; optional string kind = 3; repeated StatusCause causes = 4;
  optional int32 retryAfterSeconds = 5; optional string uid = 6;
}
message Status {
  optional ListMeta metadata = 1; optional string status = 2; optional string message = 3; optional string reason = 4;
  optional StatusDetails details = 5; optional int32 code = 6;
}
message Condition {
  optional string type = 1; optional string status = 2; optional int64 observedGeneration = 3;
  optional Time lastTransitionTime = 4; optional string reason = 5; optional string message = 6;
}

// k8s.io/api/core/v1
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; optional NamespaceStatus status = 3; }
message NamespaceSpec { repeated string finalizers = 1; }
message NamespaceStatus { optional string phase = 1; }

message ConfigMap {
  optional ObjectMeta metadata = 1; map<string, string> data = 2; map<string, bytes> binaryData = 3; optional bool immutable = 4;
}
message Secret {
  optional ObjectMeta metadata = 1; map<string, bytes> data = 2; optional string type = 3;
  map<string, string> stringData = 4; optional bool immutable = 5;
}

message LocalObjectReference { optional string name = 1; }
message ConfigMapKeySelector { optional LocalObjectReference localObjectReference = 1; optional string key = 2; optional bool optional = 3; }
message SecretKeySelector { optional LocalObjectReference localObjectReference = 1; optional string key = 2; optional bool optional = 3; }
message ObjectFieldSelector { optional string apiVersion = 1; optional string fieldPath = 2; }
message ResourceFieldSelector { optional string containerName = 1; optional string resource = 2; optional Quantity divisor = 3; }
message EnvVarSource {
  optional ObjectFieldSelector fieldRef = 1; optional ResourceFieldSelector resourceFieldRef = 2;
  optional ConfigMapKeySelector configMapKeyRef = 3; optional SecretKeySelector secretKeyRef = 4;
}
message EnvVar { optional string name = 1; optional string value = 2; optional EnvVarSource valueFrom = 3; }
message ConfigMapEnvSource { optional LocalObjectReference localObjectReference = 1; optional bool optional = 2; }
message SecretEnvSource { optional LocalObjectReference localObjectReference = 1; optional bool optional = 2; }
message EnvFromSource { optional string prefix = 1; optional ConfigMapEnvSource configMapRef = 2; optional SecretEnvSource secretRef = 3; }
message ContainerPort {
  optional string name = 1; optional int32 hostPort = 2; optional int32 containerPort = 3; optional string protocol = 4; optional string hostIP = 5;
}
message ResourceRequirements { map<string, Quantity> limits = 1; map<string, Quantity> requests = 2; repeated Opaque claims = 3; }
message ExecAction { repeated string command = 1; }
message HTTPHeader { optional string name = 1; optional string value = 2; }
message HTTPGetAction {
  optional string path = 1; optional IntOrString port = 2; optional string host = 3; optional string scheme = 4; repeated HTTPHeader httpHeaders = 5;
}
message TCPSocketAction { optional IntOrString port = 1; optional string host = 2; }
message ProbeHandler { optional ExecAction exec = 1; optional HTTPGetAction httpGet = 2; optional TCPSocketAction tcpSocket = 3; optional Opaque grpc = 4; }
message Probe {
  optional ProbeHandler handler = 1; optional int32 initialDelaySeconds = 2; optional int32 timeoutSeconds = 3; optional int32 periodSeconds = 4;
  optional int32 successThreshold = 5; optional int32 failureThreshold = 6; optional int64 terminationGracePeriodSeconds = 7;
}
message VolumeMount {
  optional string name = 1; optional bool readOnly = 2; optional string mountPath = 3; optional string subPath = 4;
  optional string mountPropagation = 5; optional string subPathExpr = 6;
}
message Capabilities { repeated string add = 1; repeated string drop = 2; }
message SeccompProfile { optional string type = 1; optional string localhostProfile = 2; }
message SecurityContext {
  optional Capabilities capabilities = 1; optional bool privileged = 2; optional Opaque seLinuxOptions = 3; optional int64 runAsUser = 4;
  optional bool runAsNonRoot = 5; optional bool readOnlyRootFilesystem = 6; optional bool allowPrivilegeEscalation = 7; optional int64 runAsGroup = 8;
  optional string procMount = 9; optional Opaque windowsOptions = 10; optional SeccompProfile seccompProfile = 11; optional Opaque appArmorProfile = 12;
}
message PodSecurityContext {
  optional Opaque seLinuxOptions = 1; optional int64 runAsUser = 2; optional bool runAsNonRoot = 3; repeated int64 supplementalGroups = 4;
  optional int64 fsGroup = 5; optional int64 runAsGroup = 6; repeated Opaque sysctls = 7; optional Opaque windowsOptions = 8;
  optional string fsGroupChangePolicy = 9; optional SeccompProfile seccompProfile = 10; optional Opaque appArmorProfile = 11;
  optional string supplementalGroupsPolicy = 12; optional string seLinuxChangePolicy = 13;
}
message Container {
  optional string name = 1; optional string image = 2; repeated string command = 3; repeated string args = 4; optional string workingDir = 5;
  repeated ContainerPort ports = 6; repeated EnvVar env = 7; optional ResourceRequirements resources = 8; repeated VolumeMount volumeMounts = 9;
  optional Probe livenessProbe = 10; optional Probe readinessProbe = 11; optional Opaque lifecycle = 12;
  optional string terminationMessagePath = 13; optional string imagePullPolicy = 14; optional SecurityContext securityContext = 15;
  optional bool stdin = 16; optional bool stdinOnce = 17; optional bool tty = 18; repeated EnvFromSource envFrom = 19;
  optional string terminationMessagePolicy = 20; repeated Opaque volumeDevices = 21; optional Probe startupProbe = 22;
  repeated Opaque resizePolicy = 23; optional string restartPolicy = 24;
}
message KeyToPath { optional string key = 1; optional string path = 2; optional int32 mode = 3; }
message HostPathVolumeSource { optional string path = 1; optional string type = 2; }
message EmptyDirVolumeSource { optional string medium = 1; optional Quantity sizeLimit = 2; }
message SecretVolumeSource { optional string secretName = 1; repeated KeyToPath items = 2; optional int32 defaultMode = 3; optional bool optional = 4; }
message ConfigMapVolumeSource {
  optional LocalObjectReference localObjectReference = 1; repeated KeyToPath items = 2; optional int32 defaultMode = 3; optional bool optional = 4;
}
message VolumeSource {
  optional HostPathVolumeSource hostPath = 1; optional EmptyDirVolumeSource emptyDir = 2; optional Opaque gcePersistentDisk = 3;
  optional Opaque awsElasticBlockStore = 4; optional Opaque gitRepo = 5; optional SecretVolumeSource secret = 6; optional Opaque nfs = 7;
  optional Opaque iscsi = 8; optional Opaque glusterfs = 9; optional PersistentVolumeClaimVolumeSource persistentVolumeClaim = 10; optional Opaque rbd = 11;
  optional Opaque flexVolume = 12; optional Opaque cinder = 13; optional Opaque cephfs = 14; optional Opaque flocker = 15;
  optional Opaque downwardAPI = 16; optional Opaque fc = 17; optional Opaque azureFile = 18; optional ConfigMapVolumeSource configMap = 19;
  optional Opaque vsphereVolume = 20; optional Opaque quobyte = 21; optional Opaque azureDisk = 22; optional Opaque photonPersistentDisk = 23;
  optional Opaque portworxVolume = 24; optional Opaque scaleIO = 25; optional Opaque projected = 26; optional Opaque storageos = 27;
  optional Opaque csi = 28; optional Opaque ephemeral = 29; optional Opaque image = 30;
}
message PersistentVolumeClaimVolumeSource { optional string claimName = 1; optional bool readOnly = 2; }
message Volume { optional string name = 1; optional VolumeSource volumeSource = 2; }
message Toleration { optional string key = 1; optional string operator = 2; optional string value = 3; optional string effect = 4; optional int64 tolerationSeconds = 5; }
message NodeSelectorRequirement { optional string key = 1; optional string operator = 2; repeated string values = 3; }
message NodeSelectorTerm { repeated NodeSelectorRequirement matchExpressions = 1; repeated NodeSelectorRequirement matchFields = 2; }
message NodeSelector { repeated NodeSelectorTerm nodeSelectorTerms = 1; }
message PreferredSchedulingTerm { optional int32 weight = 1; optional NodeSelectorTerm preference = 2; }
message NodeAffinity { optional NodeSelector requiredDuringSchedulingIgnoredDuringExecution = 1; repeated PreferredSchedulingTerm preferredDuringSchedulingIgnoredDuringExecution = 2; }
message Affinity { optional NodeAffinity nodeAffinity = 1; optional Opaque podAffinity = 2; optional Opaque podAntiAffinity = 3; }
message PodDNSConfigOption { optional string name = 1; optional string value = 2; }
message PodDNSConfig { repeated string nameservers = 1; repeated string searches = 2; repeated PodDNSConfigOption options = 3; }
message PodSpec {
  repeated Volume volumes = 1; repeated Container containers = 2; optional string restartPolicy = 3; optional int64 terminationGracePeriodSeconds = 4;
  optional int64 activeDeadlineSeconds = 5; optional string dnsPolicy = 6; map<string, string> nodeSelector = 7; optional string serviceAccountName = 8;
  optional string serviceAccount = 9; optional string nodeName = 10; optional bool hostNetwork = 11; optional bool hostPID = 12; optional bool hostIPC = 13;
  optional PodSecurityContext securityContext = 14; repeated Opaque imagePullSecrets = 15; optional string hostname = 16; optional string subdomain = 17;
  optional Affinity affinity = 18; optional string schedulerName = 19; repeated Opaque initContainers = 20; optional bool automountServiceAccountToken = 21;
  repeated Toleration tolerations = 22; repeated Opaque hostAliases = 23; optional string priorityClassName = 24; optional int32 priority = 25;
  optional PodDNSConfig dnsConfig = 26; optional bool shareProcessNamespace = 27; repeated Opaque readinessGates = 28; optional string runtimeClassName = 29;
  optional bool enableServiceLinks = 30; optional string preemptionPolicy = 31; map<string, Quantity> overhead = 32;
  repeated Opaque topologySpreadConstraints = 33; repeated Opaque ephemeralContainers = 34; optional bool setHostnameAsFQDN = 35;
  optional Opaque os = 36; optional bool hostUsers = 37; repeated Opaque schedulingGates = 38; repeated Opaque resourceClaims = 39;
}
message PodCondition {
  optional string type = 1; optional string status = 2; optional Time lastProbeTime = 3; optional Time lastTransitionTime = 4;
  optional string reason = 5; optional string message = 6;
}
message ContainerStateWaiting { optional string reason = 1; optional string message = 2; }
message ContainerStateRunning { optional Time startedAt = 1; }
message ContainerStateTerminated {
  optional int32 exitCode = 1; optional int32 signal = 2; optional string reason = 3; optional string message = 4;
  optional Time startedAt = 5; optional Time finishedAt = 6; optional string containerID = 7;
}
message ContainerState { optional ContainerStateWaiting waiting = 1; optional ContainerStateRunning running = 2; optional ContainerStateTerminated terminated = 3; }
message ContainerStatus {
  optional string name = 1; optional ContainerState state = 2; optional ContainerState lastState = 3; optional bool ready = 4;
  optional int32 restartCount = 5; optional string image = 6; optional string imageID = 7; optional string containerID = 8; optional bool started = 9;
}
message PodIP { optional string ip = 1; }
message PodStatus {
  optional string phase = 1; repeated PodCondition conditions = 2; optional string message = 3; optional string reason = 4;
  optional string hostIP = 5; optional string podIP = 6; optional Time startTime = 7; repeated ContainerStatus containerStatuses = 8;
  optional string qosClass = 9; repeated PodIP podIPs = 12;
}
message Pod { optional ObjectMeta metadata = 1; optional PodSpec spec = 2; optional PodStatus status = 3; }
message PodTemplateSpec { optional ObjectMeta metadata = 1; optional PodSpec spec = 2; }

message Taint { optional string key = 1; optional string value = 2; optional string effect = 3; optional Time timeAdded = 4; }
message NodeSpec {
  optional string podCIDR = 1; optional string externalID = 2; optional string providerID = 3; optional bool unschedulable = 4;
  repeated Taint taints = 5; optional Opaque configSource = 6; repeated string podCIDRs = 7;
}
message NodeCondition {
  optional string type = 1; optional string status = 2; optional Time lastHeartbeatTime = 3; optional Time lastTransitionTime = 4;
  optional string reason = 5; optional string message = 6;
}
message NodeAddress { optional string type = 1; optional string address = 2; }
message NodeSystemInfo {
  optional string machineID = 1; optional string systemUUID = 2; optional string bootID = 3; optional string kernelVersion = 4;
  optional string osImage = 5; optional string containerRuntimeVersion = 6; optional string kubeletVersion = 7; optional string kubeProxyVersion = 8;
  optional string operatingSystem = 9; optional string architecture = 10;
}
message ContainerImage { repeated string names = 1; optional int64 sizeBytes = 2; }
message NodeStatus {
  map<string, Quantity> capacity = 1; map<string, Quantity> allocatable = 2; optional string phase = 3; repeated NodeCondition conditions = 4;
  repeated NodeAddress addresses = 5; optional NodeSystemInfo nodeInfo = 7; repeated ContainerImage images = 8;
}
message Node { optional ObjectMeta metadata = 1; optional NodeSpec spec = 2; optional NodeStatus status = 3; }

message ClientIPConfig { optional int32 timeoutSeconds = 1; }
message SessionAffinityConfig { optional ClientIPConfig clientIP = 1; }
message ServicePort {
  optional string name = 1; optional string protocol = 2; optional int32 port = 3; optional IntOrString targetPort = 4;
  optional int32 nodePort = 5; optional string appProtocol = 6;
}
message ServiceSpec {
  repeated ServicePort ports = 1; map<string, string> selector = 2; optional string clusterIP = 3; optional string type = 4;
  repeated string externalIPs = 5; optional string sessionAffinity = 7; optional string loadBalancerIP = 8;
  repeated string loadBalancerSourceRanges = 9; optional string externalName = 10; optional string externalTrafficPolicy = 11;
  optional int32 healthCheckNodePort = 12; optional bool publishNotReadyAddresses = 13; optional SessionAffinityConfig sessionAffinityConfig = 14;
  optional string ipFamilyPolicy = 17; repeated string clusterIPs = 18; repeated string ipFamilies = 19;
  optional bool allocateLoadBalancerNodePorts = 20; optional string loadBalancerClass = 21; optional string internalTrafficPolicy = 22;
}
message LoadBalancerIngress { optional string ip = 1; optional string hostname = 2; }
message LoadBalancerStatus { repeated LoadBalancerIngress ingress = 1; }
message ServiceStatus { optional LoadBalancerStatus loadBalancer = 1; repeated Condition conditions = 2; }
message Service { optional ObjectMeta metadata = 1; optional ServiceSpec spec = 2; optional ServiceStatus status = 3; }

message ObjectReference {
  optional string kind = 1; optional string namespace = 2; optional string name = 3; optional string uid = 4;
  optional string apiVersion = 5; optional string resourceVersion = 6; optional string fieldPath = 7;
}
message EventSource { optional string component = 1; optional string host = 2; }
message Event {
  optional ObjectMeta metadata = 1; optional ObjectReference involvedObject = 2; optional string reason = 3; optional string message = 4;
  optional EventSource source = 5; optional Time firstTimestamp = 6; optional Time lastTimestamp = 7; optional int32 count = 8;
  optional string type = 9; optional MicroTime eventTime = 10; optional Opaque series = 11; optional string action = 12;
  optional Opaque related = 13; optional string reportingComponent = 14; optional string reportingInstance = 15;
}

message EndpointAddress { optional string ip = 1; optional ObjectReference targetRef = 2; optional string hostname = 3; optional string nodeName = 4; }
message EndpointPort { optional string name = 1; optional int32 port = 2; optional string protocol = 3; optional string appProtocol = 4; }
message EndpointSubset { repeated EndpointAddress addresses = 1; repeated EndpointAddress notReadyAddresses = 2; repeated EndpointPort ports = 3; }
message Endpoints { optional ObjectMeta metadata = 1; repeated EndpointSubset subsets = 2; }

// k8s.io/api/apps/v1
message RollingUpdateDeployment { optional IntOrString maxUnavailable = 1; optional IntOrString maxSurge = 2; }
message DeploymentStrategy { optional string type = 1; optional RollingUpdateDeployment rollingUpdate = 2; }
message DeploymentSpec {
  optional int32 replicas = 1; optional LabelSelector selector = 2; optional PodTemplateSpec template = 3; optional DeploymentStrategy strategy = 4;
  optional int32 minReadySeconds = 5; optional int32 revisionHistoryLimit = 6; optional bool paused = 7; optional int32 progressDeadlineSeconds = 9;
}
message DeploymentCondition {
  optional string type = 1; optional string status = 2; optional string reason = 4; optional string message = 5;
  optional Time lastUpdateTime = 6; optional Time lastTransitionTime = 7;
}
message DeploymentStatus {
  optional int64 observedGeneration = 1; optional int32 replicas = 2; optional int32 updatedReplicas = 3; optional int32 availableReplicas = 4;
  optional int32 unavailableReplicas = 5; repeated DeploymentCondition conditions = 6; optional int32 readyReplicas = 7; optional int32 collisionCount = 8;
}
message Deployment { optional ObjectMeta metadata = 1; optional DeploymentSpec spec = 2; optional DeploymentStatus status = 3; }
message ReplicaSetSpec { optional int32 replicas = 1; optional LabelSelector selector = 2; optional PodTemplateSpec template = 3; optional int32 minReadySeconds = 4; }
message ReplicaSetStatus {
  optional int32 replicas = 1; optional int32 fullyLabeledReplicas = 2; optional int64 observedGeneration = 3; optional int32 readyReplicas = 4;
  optional int32 availableReplicas = 5;
}
message ReplicaSet { optional ObjectMeta metadata = 1; optional ReplicaSetSpec spec = 2; optional ReplicaSetStatus status = 3; }
message RollingUpdateDaemonSet { optional IntOrString maxUnavailable = 1; optional IntOrString maxSurge = 2; }
message DaemonSetUpdateStrategy { optional string type = 1; optional RollingUpdateDaemonSet rollingUpdate = 2; }
message DaemonSetSpec {
  optional LabelSelector selector = 1; optional PodTemplateSpec template = 2; optional DaemonSetUpdateStrategy updateStrategy = 3;
  optional int32 minReadySeconds = 4; optional int32 revisionHistoryLimit = 6;
}
message DaemonSetStatus {
  optional int32 currentNumberScheduled = 1; optional int32 numberMisscheduled = 2; optional int32 desiredNumberScheduled = 3;
  optional int32 numberReady = 4; optional int64 observedGeneration = 5; optional int32 updatedNumberScheduled = 6;
  optional int32 numberAvailable = 7; optional int32 numberUnavailable = 8;
}
message DaemonSet { optional ObjectMeta metadata = 1; optional DaemonSetSpec spec = 2; optional DaemonSetStatus status = 3; }

// k8s.io/api/authorization/v1 (kubectl auth can-i)
message ResourceAttributes {
  optional string namespace = 1; optional string verb = 2; optional string group = 3; optional string version = 4;
  optional string resource = 5; optional string subresource = 6; optional string name = 7;
}
message NonResourceAttributes { optional string path = 1; optional string verb = 2; }
message SelfSubjectAccessReviewSpec { optional ResourceAttributes resourceAttributes = 1; optional NonResourceAttributes nonResourceAttributes = 2; }
message SubjectAccessReviewStatus { optional bool allowed = 1; optional string reason = 2; optional string evaluationError = 3; optional bool denied = 4; }
message SelfSubjectAccessReview { optional ObjectMeta metadata = 1; optional SelfSubjectAccessReviewSpec spec = 2; optional SubjectAccessReviewStatus status = 3; }
message SelfSubjectRulesReviewSpec { optional string namespace = 1; }
message ResourceRule { repeated string verbs = 1; repeated string apiGroups = 2; repeated string resources = 3; repeated string resourceNames = 4; }
message NonResourceRule { repeated string verbs = 1; repeated string nonResourceURLs = 2; }
message SubjectRulesReviewStatus {
  repeated ResourceRule resourceRules = 1; repeated NonResourceRule nonResourceRules = 2; optional bool incomplete = 3; optional string evaluationError = 4;
}
message SelfSubjectRulesReview { optional ObjectMeta metadata = 1; optional SelfSubjectRulesReviewSpec spec = 2; optional SubjectRulesReviewStatus status = 3; }

// k8s.io/api/policy/v1 (and v1beta1, the same messages)
message Eviction { optional ObjectMeta metadata = 1; optional DeleteOptions deleteOptions = 2; }
message PodDisruptionBudgetSpec {
  optional IntOrString minAvailable = 1; optional LabelSelector selector = 2; optional IntOrString maxUnavailable = 3;
  optional string unhealthyPodEvictionPolicy = 4;
}
message PodDisruptionBudgetStatus {
  optional int64 observedGeneration = 1; map<string, Time> disruptedPods = 2; optional int32 disruptionsAllowed = 3;
  optional int32 currentHealthy = 4; optional int32 desiredHealthy = 5; optional int32 expectedPods = 6; repeated Condition conditions = 7;
}
message PodDisruptionBudget { optional ObjectMeta metadata = 1; optional PodDisruptionBudgetSpec spec = 2; optional PodDisruptionBudgetStatus status = 3; }

// k8s.io/api/batch/v1
message JobCondition {
  optional string type = 1; optional string status = 2; optional Time lastProbeTime = 3; optional Time lastTransitionTime = 4;
  optional string reason = 5; optional string message = 6;
}
message PodFailurePolicyOnExitCodesRequirement { optional string containerName = 1; optional string operator = 2; repeated int32 values = 3; }
message PodFailurePolicyRule { optional string action = 1; optional PodFailurePolicyOnExitCodesRequirement onExitCodes = 2; repeated Opaque onPodConditions = 3; }
message PodFailurePolicy { repeated PodFailurePolicyRule rules = 1; }
message JobSpec {
  optional int32 parallelism = 1; optional int32 completions = 2; optional int64 activeDeadlineSeconds = 3; optional LabelSelector selector = 4;
  optional bool manualSelector = 5; optional PodTemplateSpec template = 6; optional int32 backoffLimit = 7; optional int32 ttlSecondsAfterFinished = 8;
  optional string completionMode = 9; optional bool suspend = 10; optional PodFailurePolicy podFailurePolicy = 11;
  optional Opaque backoffLimitPerIndex = 12; optional Opaque maxFailedIndexes = 13; optional string podReplacementPolicy = 14;
  optional Opaque managedBy = 15; optional Opaque successPolicy = 16;
}
message UncountedTerminatedPods { repeated string succeeded = 1; repeated string failed = 2; }
message JobStatus {
  repeated JobCondition conditions = 1; optional Time startTime = 2; optional Time completionTime = 3; optional int32 active = 4;
  optional int32 succeeded = 5; optional int32 failed = 6; optional string completedIndexes = 7;
  optional UncountedTerminatedPods uncountedTerminatedPods = 8; optional int32 ready = 9; optional int32 terminating = 11;
}
message Job { optional ObjectMeta metadata = 1; optional JobSpec spec = 2; optional JobStatus status = 3; }
message JobTemplateSpec { optional ObjectMeta metadata = 1; optional JobSpec spec = 2; }
message CronJobSpec {
  optional string schedule = 1; optional int64 startingDeadlineSeconds = 2; optional string concurrencyPolicy = 3; optional bool suspend = 4;
  optional JobTemplateSpec jobTemplate = 5; optional int32 successfulJobsHistoryLimit = 6; optional int32 failedJobsHistoryLimit = 7;
  optional string timeZone = 8;
}
message CronJobStatus { repeated ObjectReference active = 1; optional Time lastScheduleTime = 4; optional Time lastSuccessfulTime = 5; }
message CronJob { optional ObjectMeta metadata = 1; optional CronJobSpec spec = 2; optional CronJobStatus status = 3; }

// k8s.io/api/core/v1 storage and k8s.io/api/storage/v1
message VolumeResourceRequirements { map<string, Quantity> limits = 1; map<string, Quantity> requests = 2; }
message PersistentVolumeClaimSpec {
  repeated string accessModes = 1; optional VolumeResourceRequirements resources = 2; optional string volumeName = 3; optional LabelSelector selector = 4;
  optional string storageClassName = 5; optional string volumeMode = 6; optional Opaque dataSource = 7; optional Opaque dataSourceRef = 8;
  optional Opaque volumeAttributesClassName = 9;
}
message PersistentVolumeClaimCondition {
  optional string type = 1; optional string status = 2; optional Time lastProbeTime = 3; optional Time lastTransitionTime = 4;
  optional string reason = 5; optional string message = 6;
}
message PersistentVolumeClaimStatus {
  optional string phase = 1; repeated string accessModes = 2; map<string, Quantity> capacity = 3; repeated PersistentVolumeClaimCondition conditions = 4;
  optional Opaque allocatedResources = 5; optional Opaque allocatedResourceStatuses = 7; optional Opaque currentVolumeAttributesClassName = 8;
  optional Opaque modifyVolumeStatus = 9;
}
message PersistentVolumeClaim { optional ObjectMeta metadata = 1; optional PersistentVolumeClaimSpec spec = 2; optional PersistentVolumeClaimStatus status = 3; }
message LocalVolumeSource { optional string path = 1; optional string fsType = 2; }
message PersistentVolumeSource {
  optional Opaque gcePersistentDisk = 1; optional Opaque awsElasticBlockStore = 2; optional HostPathVolumeSource hostPath = 3; optional Opaque glusterfs = 4;
  optional Opaque nfs = 5; optional Opaque rbd = 6; optional Opaque iscsi = 7; optional Opaque cinder = 8; optional Opaque cephfs = 9; optional Opaque fc = 10;
  optional Opaque flocker = 11; optional Opaque flexVolume = 12; optional Opaque azureFile = 13; optional Opaque vsphereVolume = 14; optional Opaque quobyte = 15;
  optional Opaque azureDisk = 16; optional Opaque photonPersistentDisk = 17; optional Opaque portworxVolume = 18; optional Opaque scaleIO = 19;
  optional LocalVolumeSource local = 20; optional Opaque storageos = 21; optional Opaque csi = 22;
}
message VolumeNodeAffinity { optional NodeSelector required = 1; }
message PersistentVolumeSpec {
  map<string, Quantity> capacity = 1; optional PersistentVolumeSource persistentVolumeSource = 2; repeated string accessModes = 3;
  optional ObjectReference claimRef = 4; optional string persistentVolumeReclaimPolicy = 5; optional string storageClassName = 6;
  repeated string mountOptions = 7; optional string volumeMode = 8; optional VolumeNodeAffinity nodeAffinity = 9; optional Opaque volumeAttributesClassName = 10;
}
message PersistentVolumeStatus { optional string phase = 1; optional string message = 2; optional string reason = 3; optional Time lastPhaseTransitionTime = 4; }
message PersistentVolume { optional ObjectMeta metadata = 1; optional PersistentVolumeSpec spec = 2; optional PersistentVolumeStatus status = 3; }
message TopologySelectorLabelRequirement { optional string key = 1; repeated string values = 2; }
message TopologySelectorTerm { repeated TopologySelectorLabelRequirement matchLabelExpressions = 1; }
message StorageClass {
  optional ObjectMeta metadata = 1; optional string provisioner = 2; map<string, string> parameters = 3; optional string reclaimPolicy = 4;
  repeated string mountOptions = 5; optional bool allowVolumeExpansion = 6; optional string volumeBindingMode = 7; repeated TopologySelectorTerm allowedTopologies = 8;
}

// The lists of every kind: ListMeta, then the items (which carry no apiVersion/kind of their own).
message NamespaceList { optional ListMeta metadata = 1; repeated Namespace items = 2; }
message NodeList { optional ListMeta metadata = 1; repeated Node items = 2; }
message PodList { optional ListMeta metadata = 1; repeated Pod items = 2; }
message EventList { optional ListMeta metadata = 1; repeated Event items = 2; }
message ConfigMapList { optional ListMeta metadata = 1; repeated ConfigMap items = 2; }
message SecretList { optional ListMeta metadata = 1; repeated Secret items = 2; }
message ServiceList { optional ListMeta metadata = 1; repeated Service items = 2; }
message EndpointsList { optional ListMeta metadata = 1; repeated Endpoints items = 2; }
message DeploymentList { optional ListMeta metadata = 1; repeated Deployment items = 2; }
message ReplicaSetList { optional ListMeta metadata = 1; repeated ReplicaSet items = 2; }
message DaemonSetList { optional ListMeta metadata = 1; repeated DaemonSet items = 2; }
message PodDisruptionBudgetList { optional ListMeta metadata = 1; repeated PodDisruptionBudget items = 2; }
message JobList { optional ListMeta metadata = 1; repeated Job items = 2; }
message CronJobList { optional ListMeta metadata = 1; repeated CronJob items = 2; }
message PersistentVolumeClaimList { optional ListMeta metadata = 1; repeated PersistentVolumeClaim items = 2; }
message PersistentVolumeList { optional ListMeta metadata = 1; repeated PersistentVolume items = 2; }
message StorageClassList { optional ListMeta metadata = 1; repeated StorageClass items = 2; }
`;

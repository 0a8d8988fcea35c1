import type { HubImageSource } from './hub-images.js';
import type { StreamingOptions, StreamingProcess } from './streaming-process.js';
/**
 * The ContainerRuntime contract. The agent drives containers only through this interface; the docker,
 * containerd and fake adapters each declare that they conform and pass test/contract/.
 *
 * Containers are created one by one; a pod is the set of containers carrying the same
 * io.drover.pod.uid label (see RUNTIME_LABELS in protocol). Every container an adapter creates carries
 * io.drover.managed=true, and list() returns only those, so the agent never touches anything else.
 */

export type RuntimeName = 'docker' | 'containerd' | 'fake';

export interface PortMapping {
  containerPort: number;
  /** Port on the host; for host-network containers it must equal containerPort or be unset. */
  hostPort?: number;
  protocol: 'TCP' | 'UDP' | 'SCTP';
  hostIP?: string;
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

/**
 * The network a container joins instead of the runtime's default, as the agent's pod network prepared it
 * for the container's pod (every container of a pod joins the same one, so they share one IP and localhost):
 * - `netns`: a network namespace file (containerd: `--with-ns=network:PATH`), attached through CNI; with `uts`,
 *   also the pod's UTS namespace file (`--with-ns=uts:PATH`), which holds the pod's hostname;
 * - `container`: the network of another container, the pod's sandbox (docker: `--network container:NAME`).
 * An adapter refuses (InvalidSpecError) the mode it cannot join.
 */
export type ContainerNetwork = { mode: 'netns'; path: string; uts?: string } | { mode: 'container'; container: string };

/** A seccomp profile: the runtime's default, none, or a profile file on the node (absolute path). */
export type SeccompProfile = { type: 'RuntimeDefault' } | { type: 'Unconfined' } | { type: 'Localhost'; path: string };

/**
 * What a container runs as and may do (the pod's and the container's Kubernetes securityContext merged, the
 * container's fields winning). Absent fields keep the runtime's default: the image's user, the runtime's
 * default capabilities, no_new_privs as the runtime sets it (containerd on, Docker off), Docker's default
 * seccomp profile / none on containerd.
 */
export interface ContainerSecurity {
  runAsUser?: number;
  runAsGroup?: number;
  /** Extra groups of the process (supplementalGroups, and fsGroup). */
  supplementalGroups?: number[];
  /** Refuse to create the container if it would run as uid 0 (RunAsRootError, as the kubelet refuses). */
  runAsNonRoot?: boolean;
  privileged?: boolean;
  /** false: no_new_privs set; true: cleared. */
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  /** Capability names with or without CAP_, or ALL; drop is applied before add, as Kubernetes does. */
  capabilities?: { add?: string[]; drop?: string[] };
  seccomp?: SeccompProfile;
}

export interface ContainerSpec {
  /** Runtime-unique name; adapters may sanitise it but must keep it stable. */
  name: string;
  image: string;
  /** Overrides the image's entrypoint (Kubernetes `command`). */
  command?: string[];
  /** Overrides the image's cmd (Kubernetes `args`). */
  args?: string[];
  env: Record<string, string>;
  workingDir?: string;
  ports: PortMapping[];
  mounts: Mount[];
  labels: Record<string, string>;
  hostNetwork: boolean;
  /**
   * The pod's own network (with hostNetwork false). Absent: the runtime's default, the node having no pod
   * network (containerd: the host's network; docker: its default bridge).
   */
  network?: ContainerNetwork;
  /** CPU limit in millicores; undefined = unlimited. */
  cpuLimitMillis?: number;
  /** Memory limit in bytes; undefined = unlimited. */
  memoryLimitBytes?: number;
  security?: ContainerSecurity;
  /** Keep the container's stdin open for attach (Kubernetes `stdin`); `stdinOnce` closes it after the first attach's stdin ends. */
  stdin?: boolean;
  stdinOnce?: boolean;
  /** Give the container's process a terminal (Kubernetes `tty`). */
  tty?: boolean;
}

export type ContainerState = 'created' | 'running' | 'exited' | 'unknown';

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  exitCode?: number;
  /** ISO timestamps. */
  createdAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /**
   * IP address the container is reachable at (host IP for host networking). With `network` set the pod's IP
   * is the pod network's to say (the agent reports it), not the adapter's.
   */
  ip?: string;
  /** Runtime's own message about the state (OOMKilled, error text, ...). */
  reason?: string;
}

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** An image present locally, as listImages() reports it. */
export interface ImageInfo {
  /** The reference the runtime knows it by, e.g. "registry.local/nginx:1.27". */
  name: string;
  sizeBytes?: number;
  /**
   * Every platform ("os/arch" or "os/arch/variant") the image can run on, set only when the runtime
   * knows the complete list: containerd reads it from the image's index or manifest; Docker's classic
   * store only keeps the one platform it pulled, so it knows the list only for images built or loaded
   * locally (no registry digest). Absent = unknown, and the scheduler then does not filter on it.
   */
  platforms?: string[];
}

export interface LogOptions {
  tailLines?: number;
}

/** What a live log stream asks for (kubectl logs -f, --since, --timestamps, --tail). */
export interface LogStreamOptions {
  follow: boolean;
  tailLines?: number;
  /** Lines written from this time on (ms since the epoch). */
  sinceMs?: number;
  /** Each line prefixed with its RFC 3339 time and a space, as Kubernetes writes them. */
  timestamps?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ContainerRuntime {
  readonly name: RuntimeName;
  /** Runtime version, e.g. "docker://20.10.24" or "containerd://1.6.20". Throws RuntimeUnavailableError if the daemon is down. */
  version(): Promise<string>;
  /** Make the image present per policy. Throws ImageNotFoundError / ImagePullError. */
  ensureImage(image: string, policy: PullPolicy): Promise<void>;
  /**
   * Pull the image from the Drover hub's registry (hub-images.ts) and tag it with `image` as written, so a
   * container of that name runs it; only the layers the runtime lacks are fetched. Throws ImagePullError.
   */
  pullImageFromHub?(image: string, source: HubImageSource): Promise<void>;
  /** Remove an image by name (image GC); its layers go once no other image uses them. */
  deleteImage?(image: string): Promise<void>;
  /** Images present locally (untagged ones left out). */
  listImages(): Promise<ImageInfo[]>;
  /** Create (not start) a container. Returns its id. Throws ContainerExistsError if the name is taken. */
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** SIGTERM, then SIGKILL after graceSeconds. Stopping a stopped container is not an error. */
  stop(id: string, graceSeconds: number): Promise<void>;
  /** Remove a container (stopping it hard first if it runs). Removing a missing one is not an error. */
  remove(id: string): Promise<void>;
  /** Containers this runtime created for Drover, optionally filtered by more labels. */
  list(labels?: Record<string, string>): Promise<ContainerInfo[]>;
  /** Throws ContainerNotFoundError. */
  inspect(id: string): Promise<ContainerInfo>;
  logs(id: string, options?: LogOptions): Promise<string>;
  exec(id: string, argv: string[], timeoutMs?: number): Promise<ExecResult>;
  /** Optional: run `argv` in the container as a live process (stdin, a TTY) whose stdio the caller relays. */
  execStream?(id: string, argv: string[], options: StreamingOptions): Promise<StreamingProcess>;
  /**
   * Optional: attach to the main process of a container created with `stdin` or `tty`: its output from now
   * on, input to its stdin (when `options.stdin` and the container has one), its terminal's size through
   * `resize`. Ends when the container's process does (exited: its exit code).
   */
  attachStream?(id: string, options: StreamingOptions): Promise<StreamingProcess>;
  /** Optional: the container's output as a live stream (on stdout), ending when it does (follow) or at once. */
  logStream?(id: string, options: LogStreamOptions): Promise<StreamingProcess>;
  /**
   * Optional: call `onChange` soon after one of Drover's containers starts, exits or is removed (not for
   * exec'd processes), and each time the watch (re)connects, as it may have missed some. Lets the agent
   * react at once and poll the runtime rarely. Runs until stopped; survives daemon restarts.
   */
  watch?(onChange: (reason: string) => void): RuntimeWatch;
  /**
   * Optional: where a container's cgroup may be, relative to the cgroup root (`cgroup-usage.ts` reads
   * the first that exists), for per-pod CPU and memory (metrics.k8s.io). Pure: no daemon call.
   */
  cgroupPaths?(id: string): string[];
}

export interface RuntimeWatch {
  stop(): void;
}

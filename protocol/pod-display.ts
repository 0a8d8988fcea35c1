/**
 * How a pod looks in a table: the STATUS column as kubectl computes it, READY, RESTARTS and ports.
 * Pure functions on the object, shared by the status page and the CLI printers.
 */
interface PodLike {
  metadata: { deletionTimestamp?: string };
  spec?: { containers?: Array<{ ports?: Array<{ containerPort: number; hostPort?: number; protocol?: string }> }>; hostNetwork?: boolean };
  status?: {
    phase?: string;
    reason?: string;
    containerStatuses?: Array<{
      ready?: boolean;
      restartCount?: number;
      state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number } };
    }>;
  };
}

/** kubectl's STATUS: Terminating, else a container's waiting/terminated reason, else the phase. */
export function podDisplayStatus(pod: PodLike): string {
  let reason = pod.status?.reason || pod.status?.phase || 'Pending';
  for (const cs of pod.status?.containerStatuses ?? []) {
    const waiting = cs.state?.waiting?.reason;
    const terminated = cs.state?.terminated;
    if (waiting) reason = waiting;
    else if (terminated) {
      reason = terminated.reason || (terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`);
    }
  }
  if (pod.metadata.deletionTimestamp) return pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

export function podReady(pod: PodLike): string {
  const total = pod.spec?.containers?.length ?? 0;
  const ready = (pod.status?.containerStatuses ?? []).filter((c) => c.ready).length;
  return `${ready}/${total}`;
}

export function podRestarts(pod: PodLike): number {
  return (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** "8080:80/TCP" for host-mapped ports, "80/TCP" otherwise. */
export function podPorts(pod: PodLike): string[] {
  const out: string[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      const proto = p.protocol ?? 'TCP';
      out.push(p.hostPort ? `${p.hostPort}:${p.containerPort}/${proto}` : `${p.containerPort}/${proto}`);
    }
  }
  return out;
}

/** kubectl's short age: 45s, 12m, 3h, 5d. */
export function shortAge(fromIso: string | undefined | null, now: number): string {
  if (!fromIso) return '<unknown>';
  const t = Date.parse(fromIso);
  if (Number.isNaN(t)) return '<unknown>';
  const s = Math.max(0, Math.floor((now - t) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

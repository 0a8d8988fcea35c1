/**
 * Kubernetes' intstr.GetScaledValueFromIntOrPercent: an integer stays as it is; "25%" of `total`,
 * rounded up or down as the caller asks (Deployments round maxSurge up and maxUnavailable down).
 */
export function scaledValue(value: number | string | undefined, total: number, roundUp: boolean, fallback: number | string): number {
  const v = value ?? fallback;
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) return Number.parseInt(v, 10) || 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

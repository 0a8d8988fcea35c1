/**
 * Kubernetes resource quantities: CPU in cores or millicores ("2", "500m", "0.5") and memory/storage
 * in bytes with binary or decimal suffixes ("128Mi", "1G", "1e3").
 */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

const QUANTITY_RE = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([eE][+-]?\d+)|(n|u|m|k|M|G|T|P|E))?$/;

/** Parse a quantity into its plain number value (cores for CPU, bytes for memory). */
export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`invalid quantity ${value}`);
    return value;
  }
  const m = QUANTITY_RE.exec(value.trim());
  if (!m) throw new RangeError(`invalid quantity "${value}"`);
  const base = Number(m[1]);
  if (m[2]) return base * BINARY[m[2]]!;
  if (m[3]) return base * 10 ** Number(m[3].slice(1));
  return base * DECIMAL[m[4] ?? '']!;
}

export function isQuantity(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0;
  if (typeof value !== 'string') return false;
  return QUANTITY_RE.test(value.trim()) && !value.trim().startsWith('-');
}

/** CPU quantity to whole millicores ("500m" -> 500, "2" -> 2000). */
export function cpuToMillis(value: string | number): number {
  return Math.round(parseQuantity(value) * 1000);
}

/** Memory quantity to bytes ("128Mi" -> 134217728). */
export function memoryToBytes(value: string | number): number {
  return Math.round(parseQuantity(value));
}

export function formatMillis(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

export function formatBytes(bytes: number): string {
  for (const [suffix, size] of [['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)}Mi`;
  if (bytes >= 2 ** 10) return `${Math.round(bytes / 2 ** 10)}Ki`;
  return String(bytes);
}

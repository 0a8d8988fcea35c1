/**
 * One fact about the host, learnt by a small function with its own refresh period (Nomad's
 * fingerprinters). The collector in collector.ts runs them all and keeps the latest values.
 */
export interface Fingerprinter<T> {
  readonly name: string;
  readonly periodMs: number;
  collect(): Promise<T>;
}

export function fingerprinter<T>(name: string, periodMs: number, collect: () => Promise<T>): Fingerprinter<T> {
  return { name, periodMs, collect };
}

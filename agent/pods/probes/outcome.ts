/** What one probe attempt found: success or failure, with the kubelet-style output for the event. */
export interface ProbeOutcome {
  success: boolean;
  /** Why it failed (or what it said), for the Unhealthy event: "HTTP probe failed with statuscode: 503". */
  output: string;
}

export const success = (output = ''): ProbeOutcome => ({ success: true, output });
export const failure = (output: string): ProbeOutcome => ({ success: false, output });

/**
 * One network probe attempt, settled once: the first outcome `start` reports wins, the connection it
 * opened is destroyed then, and `timeoutMs` without an outcome settles with `onTimeout()`.
 */
export function settleOnce(timeoutMs: number, onTimeout: () => ProbeOutcome, start: (finish: (outcome: ProbeOutcome) => void) => { destroy(): void }): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let done = false;
    const opened: { connection?: { destroy(): void } } = {};
    const finish = (outcome: ProbeOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      opened.connection?.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish(onTimeout()), timeoutMs);
    opened.connection = start(finish);
    if (done) opened.connection.destroy(); // settled while starting
  });
}

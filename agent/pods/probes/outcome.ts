/** What one probe attempt found: success or failure, with the kubelet-style output for the event. */
export interface ProbeOutcome {
  success: boolean;
  /** Why it failed (or what it said), for the Unhealthy event: "HTTP probe failed with statuscode: 503". */
  output: string;
}

export const success = (output = ''): ProbeOutcome => ({ success: true, output });
export const failure = (output: string): ProbeOutcome => ({ success: false, output });

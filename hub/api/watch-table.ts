/**
 * Watch events as Tables, as kube-apiserver sends them when a watch asks for
 * `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` (what `kubectl get -w` sends): each event's
 * object is a one-row Table of the changed object. ERROR events keep their Status.
 *
 * Every event carries the column definitions (kube-apiserver leaves them out after the first event to
 * save bytes): events queued behind a watch's initial list are encoded before they are written, so
 * "the first" is not known when a line is made. kubectl prints the header once either way (it skips
 * a header equal to the last one it printed).
 */
import type { KubeObject } from '../../protocol/objects/meta.js';
import { toTable, type IncludeObject } from './table.js';

export interface WatchTableOptions {
  kind: string;
  version: 'v1' | 'v1beta1';
  includeObject: IncludeObject;
  clock: () => number;
}

/** Encodes one watch event of `opts.kind` as a Table event line. */
export function createWatchTableEncoder(opts: WatchTableOptions): (type: string, object: KubeObject) => string {
  return (type, object) => {
    const table = toTable(opts.kind, [object], { version: opts.version, includeObject: opts.includeObject, now: opts.clock() });
    return `${JSON.stringify({ type, object: table })}\n`;
  };
}

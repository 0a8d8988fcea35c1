/**
 * The everyday kubectl suite: the real kubectl 1.32 against a real `drover hub --tls` with two real
 * agents on containerd, running the commands a user reaches for, in order, each checked on what it
 * printed or the state it left. Prints "kubectl compat: N/M commands pass" and fails listing every
 * command that did not. Rows live in test/compat/everyday/*.ts, one module per area; add an area by
 * adding its module to AREAS (README.md in this folder lists the commands).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessRows } from './everyday/access.js';
import { authRows } from './everyday/auth.js';
import { applyRows } from './everyday/apply.js';
import { createRows } from './everyday/create.js';
import { deleteRows } from './everyday/delete.js';
import { describeRows } from './everyday/describe.js';
import { discoveryRows } from './everyday/discovery.js';
import { getRows } from './everyday/get.js';
import { leaseRows } from './everyday/leases.js';
import { logsRows } from './everyday/logs.js';
import { metadataRows } from './everyday/metadata.js';
import { metricsRows } from './everyday/metrics.js';
import { nodeRows } from './everyday/nodes.js';
import { policyRows } from './everyday/policy.js';
import type { Row } from './everyday/row.js';
import { rolloutRows } from './everyday/rollout.js';
import { serverSideApplyRows } from './everyday/server-side-apply.js';
import { streamRows } from './everyday/streams.js';
import { runRow, type RowOutcome } from './everyday/run-row.js';
import { startScenario, type Scenario } from './everyday/scenario.js';

/** The areas, in the order they run: later rows build on what earlier ones left (the Deployment `web`). */
const AREAS: Row[][] = [discoveryRows, applyRows, serverSideApplyRows, createRows, getRows, describeRows, metadataRows, rolloutRows, logsRows, streamRows, metricsRows, leaseRows, authRows, accessRows, policyRows, nodeRows, deleteRows];

describe('kubectl 1.32 everyday commands (real hub over HTTPS, two real agents on containerd)', () => {
  let s: Scenario | undefined;
  beforeAll(async () => {
    s = await startScenario();
  }, 120_000);
  afterAll(async () => {
    await s?.close();
  }, 120_000);

  it('every command passes its check', async () => {
    const outcomes: RowOutcome[] = [];
    for (const row of AREAS.flat()) {
      const started = Date.now();
      const outcome = await runRow(row, s!);
      outcomes.push(outcome);
      console.log(`  ${outcome.passed ? 'ok  ' : 'FAIL'} ${row.name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }
    const failed = outcomes.filter((o) => !o.passed);
    console.log(`kubectl compat: ${outcomes.length - failed.length}/${outcomes.length} commands pass (${s!.kubectlPath})`);
    for (const f of failed) console.log(`  FAIL ${f.name}\n    ${f.message.split('\n').join('\n    ')}`);
    expect(failed.map((f) => f.name)).toEqual([]);
  }, 300_000);
});

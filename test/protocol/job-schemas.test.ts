import { describe, expect, it } from 'vitest';
import { validateObject } from '../../protocol/manifest.js';
import { defaultJob } from '../../protocol/job-defaults.js';
import { columnsFor } from '../../protocol/table-columns.js';
import type { Job } from '../../protocol/objects/job.js';

const template = (restartPolicy?: string) => ({ spec: { ...(restartPolicy ? { restartPolicy } : {}), containers: [{ name: 'main', image: 'busybox' }] } });
const job = (spec: Record<string, unknown>) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j', namespace: 'default' }, spec: { template: template('Never'), ...spec } });

describe('batch/v1 schemas', () => {
  it('refuses fields Drover does not run, naming them, and restartPolicy Always', () => {
    expect(() => validateObject(job({ successPolicy: { rules: [] } }), 'Job "j"')).toThrow('spec.successPolicy: unknown field');
    expect(() => validateObject(job({ backoffLimitPerIndex: 1 }), 'Job "j"')).toThrow('spec.backoffLimitPerIndex: unknown field');
    expect(() => validateObject(job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }), 'Job "j"')).toThrow(/onPodConditions: unknown field/);
    expect(() => validateObject(job({ template: template('Always') }), 'Job "j"')).toThrow('Unsupported value: "Always": supported values: "OnFailure", "Never"');
    expect(() => validateObject(job({ template: template() }), 'Job "j"')).toThrow(/restartPolicy: Required value/);
    expect(() => validateObject(job({ completionMode: 'Indexed' }), 'Job "j"')).toThrow(/completions: Required value/);
    expect(validateObject(job({ completions: 5, parallelism: 2, backoffLimit: 3 }), 'Job "j"').kind).toBe('Job');
    const cron = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' }, spec: { schedule: '@hourly', jobTemplate: { spec: { template: template('OnFailure') } }, timeZon: 'UTC' } };
    expect(() => validateObject(cron, 'CronJob "c"')).toThrow('spec.timeZon: unknown field');
  });

  it("defaults a Job as kube-apiserver does: the uid selector and the job labels", () => {
    const j = defaultJob(validateObject(job({}), 'Job "j"') as Job);
    const uid = j.metadata.uid!;
    expect(j.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } } });
    expect(j.spec.template.metadata?.labels).toEqual({ 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'j', 'controller-uid': uid, 'job-name': 'j' });
    expect(defaultJob(validateObject(job({ parallelism: 3 }), 'Job "j"') as Job).spec.completions).toBeUndefined(); // a work queue
  });

  it("prints kubectl's Job columns", () => {
    const j = { ...(job({ completions: 5 }) as unknown as Job), metadata: { name: 'j', creationTimestamp: '2026-01-01T00:00:00Z' }, status: { succeeded: 5, startTime: '2026-01-01T00:00:00Z', completionTime: '2026-01-01T00:00:42Z', conditions: [{ type: 'Complete', status: 'True' as const }] } };
    const cols = columnsFor('Job').filter((c) => !c.wideOnly);
    expect(cols.map((c) => c.header)).toEqual(['STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(cols.slice(0, 3).map((c) => c.value(j, Date.parse('2026-01-01T00:05:00Z')))).toEqual(['Complete', '5/5', '42s']);
    expect(columnsFor('CronJob').filter((c) => !c.wideOnly).map((c) => c.header)).toEqual(['SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
  });
});

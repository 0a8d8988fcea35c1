/**
 * The workload controllers as one unit for the composition root: ReplicaSet, Deployment, DaemonSet,
 * StatefulSet, Job, CronJob and the garbage collector, started in that order and stopped in reverse.
 */
import type { Controller } from './controller.js';
import { createDaemonSetController } from './daemonset.js';
import { createDeploymentController } from './deployment.js';
import { createGarbageCollector } from './garbage-collector.js';
import { createJobController } from './job/job-controller.js';
import { createCronJobController } from './cronjob/cronjob-controller.js';
import { createStatefulSetController } from './statefulset/statefulset-controller.js';
import { createReplicaSetController, type WorkloadControllerOptions } from './replicaset.js';

export async function createWorkloadControllers(opts: WorkloadControllerOptions): Promise<Controller> {
  const controllers = [
    await createReplicaSetController(opts),
    await createDeploymentController(opts),
    await createDaemonSetController(opts),
    await createStatefulSetController(opts),
    await createJobController(opts),
    await createCronJobController(opts),
    await createGarbageCollector(opts),
  ];
  const started: Controller[] = [];
  return {
    async start() {
      for (const c of controllers) {
        if (started.includes(c)) continue;
        await c.start();
        started.push(c);
      }
    },
    async stop() {
      for (const c of started.reverse()) await c.stop();
      started.length = 0;
    },
  };
}

export {
  checksOf, enqueueAssessment, isFleetScan, jobPolicyOf, orgOf, stagesOf, tuningOf, wantsIdentify,
  type AssessmentRequest, type EnqueuedAssessment, type EnqueueOptions, type FleetStage,
} from './assessment.js';
export {
  CHECK_KIND, DISCOVER_KIND, IDENTIFY_KIND, checkJob, checkKey, discoverJob, identifyJob, identifyKey,
  type CheckPayload, type DiscoverPayload, type IdentifyPayload, type JobPolicy,
} from './fleet-jobs.js';
export { assessmentStatus, formatAssessmentStatus, type AssessmentStatus, type StageJobs, type StageProgress } from './fleet-status.js';
export { defaultWorkerId, runWorker, WorkerControl, type JobContext, type JobHandler, type JobOutcome, type WorkerOptions, type WorkerStats } from './fleet-worker.js';
export { EmbeddedWorkers, type EmbeddedWorkersOptions } from './embedded-workers.js';
export { inventoryClosedWatch } from './closed-watch.js';
export { advanceAssessment, completeIfDone, openHosts, reconcileAssessment } from './stage-advance.js';
export { openFleetConnections, openFleetQueue, openFleetStore, type FleetConnections } from './fleet-connections.js';

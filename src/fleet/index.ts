export { enqueueAssessment, isFleetScan, jobPolicyOf, type AssessmentRequest, type EnqueuedAssessment, type FleetStage } from './assessment.js';
export { DISCOVER_KIND, IDENTIFY_KIND, discoverJob, identifyJob, identifyKey, type DiscoverPayload, type IdentifyPayload, type JobPolicy } from './fleet-jobs.js';
export { assessmentStatus, formatAssessmentStatus, type AssessmentStatus } from './fleet-status.js';
export { defaultWorkerId, runWorker, type JobContext, type JobHandler, type JobOutcome, type WorkerOptions, type WorkerStats } from './fleet-worker.js';
export { advanceAssessment, reconcileAssessment } from './stage-advance.js';
export { openFleetQueue, openFleetStore } from './fleet-connections.js';

/**
 * The single catalogue of Trawl's coded errors. Each code has one meaning everywhere: the CLI maps it
 * to an exit code (documented in the README), the API to an HTTP status and problem type.
 * Exit codes follow sysexits(3) where one fits, so scripts can tell bad input from bad environment.
 */
export const errorCatalogue = {
  TRAWL_E_BAD_TARGET: { exitCode: 64, httpStatus: 400, title: 'Invalid target' },
  TRAWL_E_BAD_PORTS: { exitCode: 64, httpStatus: 400, title: 'Invalid port specification' },
  TRAWL_E_BAD_EXCLUDE: { exitCode: 64, httpStatus: 400, title: 'Invalid exclusion' },
  TRAWL_E_BAD_SEED: { exitCode: 64, httpStatus: 400, title: 'Invalid seed' },
  TRAWL_E_BAD_SHARD: { exitCode: 64, httpStatus: 400, title: 'Invalid shard specification' },
  TRAWL_E_BAD_OPTION: { exitCode: 64, httpStatus: 400, title: 'Invalid option value' },
  TRAWL_E_EMPTY_SCOPE: { exitCode: 64, httpStatus: 400, title: 'Nothing to scan after exclusions' },
  TRAWL_E_BLOCKED_TARGET: { exitCode: 64, httpStatus: 403, title: 'Target is in a blocked range' },
  TRAWL_E_TARGET_FILE: { exitCode: 66, httpStatus: 400, title: 'Target file cannot be read' },
  TRAWL_E_RESOLVE: { exitCode: 68, httpStatus: 422, title: 'Hostname did not resolve' },
  TRAWL_E_DB_PATH: { exitCode: 73, httpStatus: 500, title: 'Database path is not usable' },
  TRAWL_E_DB: { exitCode: 74, httpStatus: 500, title: 'Store error' },
  TRAWL_E_DB_URL: { exitCode: 73, httpStatus: 500, title: 'Database URL is not usable' },
  TRAWL_E_QUEUE: { exitCode: 69, httpStatus: 503, title: 'Job queue error' },
  TRAWL_E_LEASE_LOST: { exitCode: 75, httpStatus: 409, title: 'Job lease is no longer held' },
  TRAWL_E_SCAN_NOT_FOUND: { exitCode: 65, httpStatus: 404, title: 'Scan not found' },
  TRAWL_E_NOTHING_TO_RESUME: { exitCode: 65, httpStatus: 409, title: 'No interrupted scan to resume' },
  TRAWL_E_RESUME_MISMATCH: { exitCode: 64, httpStatus: 409, title: 'Resume options differ from the interrupted scan' },
  TRAWL_E_OUTPUT: { exitCode: 73, httpStatus: 500, title: 'Output cannot be written' },
  TRAWL_E_EGRESS_DENIED: { exitCode: 77, httpStatus: 403, title: 'Probe to an address outside the permitted scope refused' },
  TRAWL_E_LAB: { exitCode: 69, httpStatus: 500, title: 'Lab cannot be started' },
  TRAWL_E_PRIVILEGE: { exitCode: 77, httpStatus: 403, title: 'Operation needs privileges this process lacks' },
  TRAWL_E_BAD_VERSION: { exitCode: 65, httpStatus: 422, title: 'Invalid package version' },
  TRAWL_E_ADVISORY_DATA: { exitCode: 65, httpStatus: 422, title: 'Advisory data cannot be read' },
  TRAWL_E_CLOUD_API: { exitCode: 69, httpStatus: 502, title: 'Cloud provider API call failed' },
  TRAWL_E_ARTIFACT_READ: { exitCode: 66, httpStatus: 400, title: 'Artifact cannot be opened' },
  TRAWL_E_ARTIFACT_FORMAT: { exitCode: 65, httpStatus: 422, title: 'Artifact or file inside it is malformed' },
  TRAWL_E_ARTIFACT_LIMIT: { exitCode: 65, httpStatus: 422, title: 'Artifact exceeds a safety limit' },
  TRAWL_E_ARTIFACT_PATH: { exitCode: 65, httpStatus: 422, title: 'Artifact entry path or link is unsafe' },
  TRAWL_E_NMAP_DATA: { exitCode: 72, httpStatus: 500, title: 'nmap data file missing or unreadable' },
  TRAWL_E_UNAUTHENTICATED: { exitCode: 77, httpStatus: 401, title: 'Authentication required' },
  TRAWL_E_FORBIDDEN: { exitCode: 77, httpStatus: 403, title: 'Not allowed for this role' },
  TRAWL_E_NOT_FOUND: { exitCode: 65, httpStatus: 404, title: 'Resource not found' },
  TRAWL_E_VALIDATION: { exitCode: 64, httpStatus: 400, title: 'Request failed validation' },
  TRAWL_E_CONFLICT: { exitCode: 65, httpStatus: 409, title: 'Conflicts with the current state' },
  TRAWL_E_RATE_LIMITED: { exitCode: 75, httpStatus: 429, title: 'Too many requests' },
  TRAWL_E_OUT_OF_SCOPE: { exitCode: 77, httpStatus: 403, title: "Target outside the organisation's declared scope" },
  TRAWL_E_NOTIFY: { exitCode: 69, httpStatus: 502, title: 'Notification could not be delivered' },
  TRAWL_E_INTERRUPTED: { exitCode: 130, httpStatus: 503, title: 'Interrupted' },
  TRAWL_E_INTERNAL: { exitCode: 70, httpStatus: 500, title: 'Internal error' },
} as const satisfies Record<string, { exitCode: number; httpStatus: number; title: string }>;

export type TrawlErrorCode = keyof typeof errorCatalogue;

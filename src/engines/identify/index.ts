export { identifyService, loadProbeDatabase, type IdentifyOptions } from './identify-service.js';
export type { IdentifyMethod, IdentifyTarget, ServiceIdentity } from './service-identity.js';
export { identifyByHandshake } from './cascade/identify-by-handshake.js';

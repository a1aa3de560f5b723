export { errorCatalogue, type TrawlErrorCode } from './error-catalogue.js';
export { TrawlError, isTrawlError } from './trawl-error.js';

import type { Check } from '../check.js';
import { cleartextAuthService } from './cleartext-auth-check.js';
import { elasticsearchNoAuth } from './elasticsearch-check.js';
import { ftpAnonymous } from './ftp-anonymous-check.js';
import { HTTP_CHECKS } from './http-checks.js';
import { mongodbNoAuth } from './mongodb-check.js';
import { OPEN_SERVICE_CHECKS } from './open-service-checks.js';
import { SMB_CHECKS } from './smb-checks.js';
import { SSH_CHECKS } from './ssh-checks.js';
import { telnetCleartext } from './telnet-check.js';
import { TLS_CHECKS } from './tls-checks.js';

/** Trawl's built-in exposure checks, in the order they run on a service. No CVE database needed. */
export const BUILTIN_CHECKS: readonly Check[] = [
  ...TLS_CHECKS,
  ...HTTP_CHECKS,
  ...SMB_CHECKS,
  ...SSH_CHECKS,
  ...OPEN_SERVICE_CHECKS,
  mongodbNoAuth,
  elasticsearchNoAuth,
  ftpAnonymous,
  telnetCleartext,
  cleartextAuthService,
];

export { tlsExpiredCert, tlsSelfSignedCert, tlsHostnameMismatch, tlsLegacyProtocol, tlsWeakCipher } from './tls-checks.js';
export { httpMissingSecurityHeaders, httpDirectoryListing, httpExposedGit, httpExposedEnv, auditSecurityHeaders, directoryListing, gitHeadContent, dotenvShape } from './http-checks.js';
export { smbV1Enabled, smbSigningNotRequired } from './smb-checks.js';
export { sshWeakAlgorithms, sshTerrapin, terrapinExposure, kexinitView, SSH_WEAK_ALGORITHMS } from './ssh-checks.js';
export { redisNoAuth, memcachedExposed, mqttAnonymous } from './open-service-checks.js';
export { mongodbNoAuth } from './mongodb-check.js';
export { elasticsearchNoAuth, searchClusterInfo } from './elasticsearch-check.js';
export { ftpAnonymous, ANONYMOUS_FTP_PASSWORD } from './ftp-anonymous-check.js';
export { telnetCleartext, parseTelnetNegotiation } from './telnet-check.js';
export { cleartextAuthService } from './cleartext-auth-check.js';
export { certificateNameMatch, dnsNameMatches } from './hostname-match.js';
export { WEAK_SUITES, weakClasses, type WeakClass } from './tls-weak-suites.js';

/**
 * A small port→service table for nmap XML's `<service method="table">`. Names follow nmap-services
 * so tools that key on nmap's names (http, ssh, ms-wbt-server...) recognise them. Ports not listed
 * get no `<service>` element rather than a guess.
 */
const tcpServices: ReadonlyMap<number, string> = new Map([
  [21, 'ftp'], [22, 'ssh'], [23, 'telnet'], [25, 'smtp'], [53, 'domain'], [80, 'http'],
  [88, 'kerberos-sec'], [110, 'pop3'], [111, 'rpcbind'], [135, 'msrpc'], [139, 'netbios-ssn'],
  [143, 'imap'], [389, 'ldap'], [443, 'https'], [445, 'microsoft-ds'], [465, 'smtps'],
  [587, 'submission'], [631, 'ipp'], [636, 'ldapssl'], [873, 'rsync'], [993, 'imaps'], [995, 'pop3s'],
  [1080, 'socks'], [1433, 'ms-sql-s'], [1521, 'oracle'], [1723, 'pptp'], [2049, 'nfs'],
  [2375, 'docker'], [2376, 'docker'], [3128, 'squid-http'], [3306, 'mysql'], [3389, 'ms-wbt-server'],
  [5060, 'sip'], [5432, 'postgresql'], [5672, 'amqp'], [5900, 'vnc'], [5984, 'couchdb'],
  [6379, 'redis'], [8000, 'http-alt'], [8008, 'http'], [8080, 'http-proxy'], [8443, 'https-alt'],
  [9418, 'git'], [11211, 'memcache'], [27017, 'mongod'],
]);

export function tcpServiceName(port: number): string | undefined {
  return tcpServices.get(port);
}

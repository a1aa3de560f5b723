export { identifyByHandshake, CASCADE_DEFAULT_IDLE_MS, CASCADE_DEFAULT_TOTAL_MS, type CascadeOptions } from './identify-by-handshake.js';
export { classifyFirstPacket, type FirstPacketClass } from './first-packet.js';
export { clientHello, isTlsRecord } from './tls-client-hello.js';

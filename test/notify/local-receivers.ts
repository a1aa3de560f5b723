/** Receivers for notification tests, on 127.0.0.1 only: an HTTP webhook endpoint and a tiny SMTP server. */
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';

export interface ReceivedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Status to answer request n (0-based); default 200. 'hang' never answers. */
  respond: (n: number) => number | 'hang';
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const hung: import('node:http').ServerResponse[] = [];
  const r: { respond: (n: number) => number | 'hang' } = { respond: () => 200 };
  const server: HttpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const status = r.respond(n);
      if (status === 'hang') {
        hung.push(res);
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    get respond() {
      return r.respond;
    },
    set respond(fn) {
      r.respond = fn;
    },
    close: async () => {
      for (const h of hung) h.destroy();
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
}

export interface SmtpMessage {
  readonly from: string;
  readonly to: string[];
  readonly data: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: SmtpMessage[];
  close(): Promise<void>;
}

/** Longest line and message the sink accepts; enough for a notification. */
const MAX_LINE = 4096;
const MAX_MESSAGE = 1 << 20;

/**
 * Just enough SMTP (RFC 5321) to accept mail: EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing,
 * RSET, NOOP, QUIT. No TLS, no AUTH: it advertises neither, so clients send in clear on loopback.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SmtpMessage[] = [];
  const server: TcpServer = createTcpServer((sock) => {
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    let buf = '';
    let from = '';
    let to: string[] = [];
    let inData = false;
    let data: string[] = [];
    let size = 0;
    const reply = (line: string): void => {
      sock.write(`${line}\r\n`);
    };
    reply('220 localhost trawl-test-smtp ready');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_MESSAGE * 2) {
        sock.destroy();
        return;
      }
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push({ from, to, data: data.join('\r\n') });
            from = '';
            to = [];
            data = [];
            size = 0;
            reply('250 2.0.0 queued');
          } else {
            size += line.length;
            if (size <= MAX_MESSAGE) data.push(line.startsWith('..') ? line.slice(1) : line);
          }
          continue;
        }
        if (line.length > MAX_LINE) {
          reply('500 line too long');
          continue;
        }
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') {
          reply('250-localhost');
          reply('250 8BITMIME');
        } else if (verb === 'HELO') reply('250 localhost');
        else if (verb === 'MAIL') {
          from = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply('250 2.1.0 ok');
        } else if (verb === 'RCPT') {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          reply('250 2.1.5 ok');
        } else if (verb === 'DATA') {
          inData = true;
          reply('354 end data with <CR><LF>.<CR><LF>');
        } else if (verb === 'RSET') {
          from = '';
          to = [];
          reply('250 ok');
        } else if (verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') {
          reply('221 bye');
          sock.end();
        } else reply('502 command not implemented');
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}

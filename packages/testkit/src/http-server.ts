import { createServer as createHttpServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { generate } from 'selfsigned';
import { createFaultQueue, type Fault, type FaultQueue } from './faults.js';

/** RecordedRequest is one request as the server received it, body already read. */
export interface RecordedRequest {
  method: string;
  /** path is the URL path without the query string. */
  path: string;
  /** url is the raw request target (path and query). */
  url: string;
  query: URLSearchParams;
  /** headers has lower-case names, as Node delivers them. */
  headers: IncomingHttpHeaders;
  body: string;
  /** form is set when the content type is application/x-www-form-urlencoded. */
  form?: URLSearchParams;
  /** json is set when the content type is JSON and the body parses. */
  json?: unknown;
  /** fault is the injected fault this request received, if any. */
  fault?: Fault;
  /** header returns one header's value (first one when repeated). */
  header(name: string): string | undefined;
}

/** Handler answers one recorded request. */
export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/** ServerOptions configures startServer. */
export interface ServerOptions {
  /** https serves TLS with a freshly generated CA and a 127.0.0.1/localhost certificate (`caPem`). */
  https?: boolean;
}

/** TestServer is a loopback server that records requests and injects faults. */
export interface TestServer {
  /** url is `http(s)://127.0.0.1:<port>`, with no trailing slash. */
  url: string;
  port: number;
  /** caPem is the CA certificate that signed the server certificate (https only). */
  caPem?: string;
  requests: RecordedRequest[];
  /** count is how many requests were received, optionally only those whose path starts with a prefix. */
  count(pathPrefix?: string): number;
  faults: FaultQueue;
  /** errors collects exceptions thrown by the handler (each also produced a 500). */
  errors: unknown[];
  close(): Promise<void>;
}

/** TlsMaterial is a CA certificate plus a server key and certificate it signed. */
export interface TlsMaterial {
  caPem: string;
  keyPem: string;
  certPem: string;
}

/** createTlsMaterial generates a throwaway CA and a server certificate for 127.0.0.1, ::1 and localhost. */
export async function createTlsMaterial(): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60 * 60 * 1000);
  const notAfterDate = new Date(Date.now() + 24 * 60 * 60 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'Federate testkit CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  return { caPem: ca.cert, keyPem: leaf.private, certPem: leaf.cert };
}

/** sendJson writes a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** sendText writes a text response (text/plain unless a content-type header is given). */
export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function firstHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function record(method: string, rawUrl: string, headers: IncomingHttpHeaders, body: string): RecordedRequest {
  const parsed = new URL(rawUrl, 'http://127.0.0.1');
  const req: RecordedRequest = {
    method,
    path: parsed.pathname,
    url: rawUrl,
    query: parsed.searchParams,
    headers,
    body,
    header: (name) => firstHeader(headers, name),
  };
  const type = (firstHeader(headers, 'content-type') ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) req.form = new URLSearchParams(body);
  if (/^application\/([\w.+-]+\+)?json/.test(type) && body.length > 0) {
    try {
      req.json = JSON.parse(body);
    } catch {
      // Left unset: handlers decide how to answer unparsable JSON.
    }
  }
  return req;
}

const FAULT_HTML =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy received an invalid response from an upstream server.</p></body></html>';

// Lets the handler write its normal answer, then sends only the first half of the body with status 200
// and the handler's own content type: a client sees "its" format, cut short.
function truncateResponse(res: ServerResponse): void {
  const chunks: Buffer[] = [];
  const toBuffer = (chunk: unknown): Buffer | undefined => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
    return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
  };
  const realEnd = res.end.bind(res);
  const realWriteHead = res.writeHead;
  const realWrite = res.write;
  res.writeHead = ((_status: number, a?: unknown, b?: unknown) => {
    const headers = (typeof a === 'object' && a !== null ? a : b) as Record<string, unknown> | undefined;
    if (headers && !Array.isArray(headers)) {
      for (const [k, v] of Object.entries(headers)) {
        if (v !== undefined) res.setHeader(k, v as string);
      }
    }
    return res;
  }) as ServerResponse['writeHead'];
  res.write = ((chunk: unknown) => {
    const buf = toBuffer(chunk);
    if (buf) chunks.push(buf);
    return true;
  }) as ServerResponse['write'];
  res.end = ((chunk?: unknown) => {
    const buf = toBuffer(chunk);
    if (buf) chunks.push(buf);
    // Node's implicit header path calls this.writeHead, so the originals must be back before sending.
    res.writeHead = realWriteHead;
    res.write = realWrite;
    const full = Buffer.concat(chunks);
    const cut = full.length > 1 ? full.subarray(0, Math.floor(full.length / 2)) : Buffer.from('{"');
    res.statusCode = 200;
    res.setHeader('content-length', cut.length);
    if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json');
    return realEnd(cut);
  }) as ServerResponse['end'];
}

/** startServer listens on 127.0.0.1 (ephemeral port) and answers with `handler` after applying faults. */
export async function startServer(handler: Handler, opts: ServerOptions = {}): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const errors: unknown[] = [];
  const faults = createFaultQueue();
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const listener = (req: import('node:http').IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => req.socket.destroy());
    req.on('end', () => {
      const recorded = record(
        req.method ?? 'GET',
        req.url ?? '/',
        req.headers,
        Buffer.concat(chunks).toString('utf8'),
      );
      requests.push(recorded);
      void serve(recorded, res);
    });
  };

  const runHandler = async (recorded: RecordedRequest, res: ServerResponse): Promise<void> => {
    try {
      await handler(recorded, res);
    } catch (err) {
      errors.push(err);
      if (!res.headersSent) sendJson(res, 500, { error: 'testkit_handler_error' });
      else res.destroy();
    }
  };

  const serve = async (recorded: RecordedRequest, res: ServerResponse): Promise<void> => {
    const fault = faults.take(recorded.path);
    if (!fault) return runHandler(recorded, res);
    recorded.fault = fault;
    switch (fault.kind) {
      case 'status':
        sendText(res, fault.status, fault.body ?? `injected ${fault.status}`, fault.headers ?? {});
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'content-type':
        sendText(res, 200, FAULT_HTML, { 'content-type': fault.contentType });
        return;
      case 'malformed':
        truncateResponse(res);
        return runHandler(recorded, res);
      case 'delay':
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            timers.delete(t);
            resolve();
          }, fault.ms);
          timers.add(t);
        });
        if (closed) return;
        return runHandler(recorded, res);
    }
  };

  let caPem: string | undefined;
  const server = opts.https
    ? await createTlsMaterial().then((tls) => {
        caPem = tls.caPem;
        return createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, listener);
      })
    : createHttpServer(listener);
  // Keep-alive sockets would hold close() open; track them and destroy on close.
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('testkit server has no TCP address');
  const port = address.port;

  const testServer: TestServer = {
    url: `${opts.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    count: (pathPrefix) =>
      pathPrefix === undefined
        ? requests.length
        : requests.filter((r) => r.path.startsWith(pathPrefix)).length,
    faults,
    errors,
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections();
      });
    },
  };
  if (caPem !== undefined) testServer.caPem = caPem;
  return testServer;
}

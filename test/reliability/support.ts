/**
 * support.ts: what the reliability suites share: a recording sink (every mask/export call kept in
 * order, so "nothing exported on failure" is an assertion, not a hope), a Platform around a token
 * minter, Deps whose sleep and jitter never wait, and a loopback forward/CONNECT proxy.
 */
import { createServer, type IncomingMessage, request as httpRequest, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import {
  type CredentialFile,
  type Deps,
  type ExportedVariable,
  fetchTransport,
  type Platform,
  type RunSummary,
  renderSummaryText,
  SecretRegistry,
  type Sink,
  type Transport,
} from '@federate/core';
import { type Clock, skewedClock } from '@federate/testkit';

/** SinkCall is one call a sink received; `kind` names the method. */
export interface SinkCall {
  kind: 'writeFile' | 'exportEnv' | 'setOutputs' | 'recordCleanup' | 'writeSummary';
  detail: string;
}

/** RecordingSink keeps every call, the masked forms and the summaries' text. */
export interface RecordingSink extends Sink {
  readonly calls: SinkCall[];
  readonly masked: string[];
  readonly summaries: string[];
  readonly env: ExportedVariable[];
  /** exports lists every call that hands something to a later step (all but writeSummary). */
  exports(): SinkCall[];
}

/** recordingSink builds a Sink that writes nothing anywhere and remembers everything it was asked. */
export function recordingSink(): RecordingSink {
  const calls: SinkCall[] = [];
  const masked: string[] = [];
  const summaries: string[] = [];
  const env: ExportedVariable[] = [];
  return {
    calls,
    masked,
    summaries,
    env,
    exports: () => calls.filter((c) => c.kind !== 'writeSummary'),
    mask(value: string) {
      masked.push(value);
    },
    async writeFile(file: CredentialFile) {
      calls.push({ kind: 'writeFile', detail: file.name });
      return `/recording-sink/${file.name}`;
    },
    async exportEnv(vars: readonly ExportedVariable[]) {
      calls.push({ kind: 'exportEnv', detail: vars.map((v) => v.name).join(',') });
      env.push(...vars);
    },
    async setOutputs(outputs: readonly ExportedVariable[]) {
      calls.push({ kind: 'setOutputs', detail: outputs.map((v) => v.name).join(',') });
    },
    async recordCleanup() {
      calls.push({ kind: 'recordCleanup', detail: '' });
    },
    async writeSummary(summary: RunSummary) {
      calls.push({ kind: 'writeSummary', detail: '' });
      summaries.push(renderSummaryText(summary));
    },
  };
}

/** platformFor wraps a sink and a token minter into a Platform named `github`. */
export function platformFor(sink: Sink, mint: (audience: string) => Promise<string>): Platform {
  return { name: 'github', sink, tokenSource: { idToken: (audience) => mint(audience) } };
}

/** fastDeps are Deps that never wait: sleep resolves at once and jitter is zero. */
export function fastDeps(
  lines: string[],
  opts: { transport?: Transport; env?: Record<string, string> } = {},
): Deps {
  const secrets = new SecretRegistry();
  const log = {
    debug: (m: string) => void lines.push(secrets.redact(m)),
    info: (m: string) => void lines.push(secrets.redact(m)),
    warn: (m: string) => void lines.push(secrets.redact(m)),
  };
  return {
    transport: opts.transport ?? fetchTransport(globalThis.fetch),
    env: opts.env ?? {},
    now: Date.now,
    sleep: async () => {},
    random: () => 0,
    log,
    secrets,
    userAgent: 'federate-reliability-test',
  };
}

/** TestProxy is a loopback HTTP proxy (absolute-form forwarding and CONNECT tunnels) that records what it carried. */
export interface TestProxy {
  url: string;
  /** seen lists `METHOD host:port/path` for forwarded requests and `CONNECT host:port` for tunnels. */
  seen: string[];
  close(): Promise<void>;
}

/** startProxy listens on 127.0.0.1 and relays every request to its real destination. */
export async function startProxy(): Promise<TestProxy> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute-form request target required');
      return;
    }
    seen.push(`${req.method} ${target.host}${target.pathname}`);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const up = connect(Number(port), host ?? '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** MutableClock is a server clock (the testkit's skewedClock) whose skew a test may change. */
export interface MutableClock extends Clock {
  skew(seconds: number): void;
}

/** mutableClock starts in agreement with the wall clock. */
export function mutableClock(): MutableClock {
  let current: Clock = skewedClock(0);
  return {
    now: () => current.now(),
    skew(seconds) {
      current = skewedClock(seconds);
    },
  };
}

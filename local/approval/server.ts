import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HttpRequest, HttpResponse } from '../../handlers/approval-endpoint';
import { SECURITY_HEADERS } from '../../handlers/approval-page/layout';
import { renderResultPage } from '../../handlers/approval-page/render';

/** What the server accepts and how long it waits; every field has a default ({@link APPROVAL_SERVER_DEFAULTS}). */
export interface ApprovalServerOptions {
  /** The largest request body; a bigger one gets 413. Form posts are a few hundred bytes. */
  readonly maxBodyBytes?: number;
  /** Connections one client address may hold at once; beyond, new ones are closed at once. Browsers open about 6 per host. */
  readonly maxConnectionsPerClient?: number;
  /** Connections in all; beyond, new ones are closed at once (Node's `server.maxConnections`). */
  readonly maxConnections?: number;
  /** How long a connection may take to send its request headers, from when it opens (or its previous request ended); then 408 and closed. */
  readonly headersTimeoutMs?: number;
  /** How long a whole request (headers and body) may take; then 408 and closed. */
  readonly requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests. */
  readonly keepAliveTimeoutMs?: number;
}

export const APPROVAL_SERVER_DEFAULTS: Required<ApprovalServerOptions> = {
  maxBodyBytes: 64 * 1024,
  maxConnectionsPerClient: 32,
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

export interface ApprovalServer {
  /** `http://<link host>:<port>`: `http://127.0.0.1:<port>` by default. */
  readonly baseUrl: string;
  /** The address or name it listens on. */
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export class ApprovalServerError extends Error {
  override readonly name = 'ApprovalServerError';
}

/**
 * Headers every response carries, whoever made it (the endpoint, this server, Node's parser): the
 * approval pages' own set (handlers/approval-page/layout.ts, one definition). A response keeps its
 * content type; the rest are always these, so no response can weaken them.
 */
const { 'content-type': _html, ...ENFORCED_HEADERS } = SECURITY_HEADERS;

function withSecurityHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = { ...SECURITY_HEADERS };
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return { ...out, ...ENFORCED_HEADERS };
}

/** A short page the server answers with by itself, in the approval pages' look and headers. */
function serverPage(status: number, message: string): HttpResponse {
  const title = STATUS_CODES[status] ?? 'Request refused';
  return { status, headers: { ...SECURITY_HEADERS }, body: renderResultPage({ title, message: `${message} Nothing was decided.`, tone: 'warning' }) };
}

const TOO_LARGE = (max: number): HttpResponse => serverPage(413, `Request too large: the approval page sends a few hundred bytes, and this server takes at most ${max.toLocaleString('en-US')}.`);

/** The body, or undefined once it passes `max` bytes (the rest is then not read). */
function readBody(req: IncomingMessage, max: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.once('error', reject);
    // Closed before the end (timed out, or the client left): nothing will answer it.
    req.once('close', () => reject(new ApprovalServerError('the connection closed before the request body ended')));
  });
}

function toRequest(req: IncomingMessage, body: string): HttpRequest {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  return { method: req.method ?? 'GET', path: url.pathname, query, headers, body, sourceIp: req.socket.remoteAddress ?? null };
}

/** Send a response; with `close`, the connection ends after it (see {@link closeSoon}). */
function send(res: ServerResponse, response: HttpResponse, close = false): void {
  const headers = withSecurityHeaders(response.headers);
  if (close) headers.connection = 'close';
  const socket = res.socket;
  res.writeHead(response.status, headers);
  res.end(response.body);
  if (close) res.once('finish', () => closeSoon(socket));
}

/**
 * End a connection after its last response, and destroy it a second later if the client has not
 * closed its side by then (the HTTP server's sockets are half-open): a client that keeps sending
 * is not waited for. Its unread bytes are never read.
 */
function closeSoon(socket: Socket | null): void {
  if (socket === null || socket.destroyed) return;
  socket.end();
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The response Node's parser would send for a request it could not read, with our headers and page. */
function clientErrorResponse(err: NodeJS.ErrnoException): HttpResponse {
  switch (err.code) {
    case 'HPE_INVALID_METHOD':
      // RFC 9110 §15.6.2: 501 for a method the server does not recognise (a known one it will not serve gets 405 from the endpoint).
      return serverPage(501, 'This server only answers GET, HEAD and POST.');
    case 'HPE_HEADER_OVERFLOW':
      return serverPage(431, 'The request headers are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return serverPage(408, 'The request took too long to arrive.');
    default:
      return serverPage(400, 'This is not a request this server can read.');
  }
}

/** Raw HTTP/1.1 text of a response, for a socket the HTTP layer has given up on. */
function rawResponse(response: HttpResponse): string {
  const body = Buffer.from(response.body, 'utf8');
  const headers = { ...withSecurityHeaders(response.headers), 'content-length': String(body.length), connection: 'close' };
  const head = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  return `${head}\r\n\r\n${body.toString('utf8')}`;
}

/** Where to listen and what host the links name (see ./host.ts: a wildcard bind needs a concrete link host). */
export interface ServerHost {
  readonly bind: string;
  readonly linkHost: string;
}

const LOOPBACK_ONLY: ServerHost = { bind: '127.0.0.1', linkHost: '127.0.0.1' };

/**
 * Serve the approval endpoint (the same handler as the Lambda function URL), on 127.0.0.1 unless
 * told otherwise: the local demo must not expose approval pages to the network unless asked to
 * (`flowir run --host`, which warns).
 *
 * Every response carries the approval pages' security headers, including the server's own (413,
 * 500) and the ones Node's parser would otherwise write bare (400, 408, 417, 431, 501). A client
 * address holds at most `maxConnectionsPerClient` connections, and a connection that does not
 * finish its headers within `headersTimeoutMs`, or its request within `requestTimeoutMs`, is closed.
 */
export async function startApprovalServer(handle: (request: HttpRequest) => Promise<HttpResponse>, port = 0, host: ServerHost = LOOPBACK_ONLY, options: ApprovalServerOptions = {}): Promise<ApprovalServer> {
  const o = { ...APPROVAL_SERVER_DEFAULTS, ...definedOnly(options) };
  const server: Server = createServer(
    {
      headersTimeout: o.headersTimeoutMs,
      requestTimeout: Math.max(o.requestTimeoutMs, o.headersTimeoutMs),
      keepAliveTimeout: o.keepAliveTimeoutMs,
      // How often Node looks for connections past those timeouts (its default, 30 s, let slow sockets stay ~90 s).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(o.headersTimeoutMs / 4))),
      // Checked below, so that the 400 carries the headers.
      requireHostHeader: false,
    },
    (req, res) => {
      void (async () => {
        if (req.httpVersion === '1.1' && req.headers.host === undefined) return send(res, serverPage(400, 'The request has no Host header.'), true);
        const declared = Number(req.headers['content-length'] ?? 0);
        if (declared > o.maxBodyBytes) return send(res, TOO_LARGE(o.maxBodyBytes), true);
        let response: HttpResponse;
        try {
          const body = await readBody(req, o.maxBodyBytes);
          if (body === undefined) return send(res, TOO_LARGE(o.maxBodyBytes), true);
          response = await handle(toRequest(req, body));
        } catch {
          response = serverPage(500, 'Internal error.');
        }
        if (!res.headersSent && !res.destroyed) send(res, response);
      })();
    },
  );
  server.maxConnections = o.maxConnections;

  const perClient = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? '?';
    const held = perClient.get(client) ?? 0;
    if (held >= o.maxConnectionsPerClient) {
      socket.destroy();
      return;
    }
    perClient.set(client, held + 1);
    socket.once('close', () => {
      const now = (perClient.get(client) ?? 1) - 1;
      if (now <= 0) perClient.delete(client);
      else perClient.set(client, now);
    });
  });

  // Node's own answer to a request its parser refuses is a bare "400 Bad Request"; this one carries the headers.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || (inFlight !== undefined && inFlight !== null && inFlight.headersSent)) {
      socket.destroy();
      return;
    }
    socket.write(rawResponse(clientErrorResponse(err)));
    closeSoon(socket);
  });

  // An Expect header other than 100-continue: Node would answer a bare 417.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => send(res, serverPage(417, 'This server does not meet the request\'s Expect header.'), true));

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new ApprovalServerError(listenProblem(e, port, host.bind))));
    server.listen(port, host.bind, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://${host.linkHost}:${actual}`,
    host: host.bind,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function definedOnly(options: ApprovalServerOptions): ApprovalServerOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ApprovalServerOptions;
}

function listenProblem(e: NodeJS.ErrnoException, port: number, bind: string): string {
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${port} is already in use on ${bind}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${bind}: it is not an address of this machine`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${bind}: the name does not resolve`;
    case 'EACCES':
      return `not allowed to listen on ${bind} port ${port}`;
    default:
      return `cannot listen on ${bind}: ${e.message}`;
  }
}

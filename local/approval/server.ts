import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequest, HttpResponse } from '../../handlers/approval-endpoint';

/** Form posts are a few hundred bytes; refuse anything that could only be abuse. */
const MAX_BODY_BYTES = 64 * 1024;

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

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApprovalServerError('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toRequest(req: IncomingMessage, body: string): HttpRequest {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  return { method: req.method ?? 'GET', path: url.pathname, query, headers, body, sourceIp: req.socket.remoteAddress ?? null };
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
 */
export async function startApprovalServer(handle: (request: HttpRequest) => Promise<HttpResponse>, port = 0, host: ServerHost = LOOPBACK_ONLY): Promise<ApprovalServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      let response: HttpResponse;
      try {
        response = await handle(toRequest(req, await readBody(req)));
      } catch (e) {
        const tooLarge = e instanceof ApprovalServerError;
        response = { status: tooLarge ? 413 : 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: tooLarge ? 'Request too large\n' : 'Internal error\n' };
      }
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    })();
  });
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

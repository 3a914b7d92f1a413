import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpRequest, HttpResponse } from '../../handlers/approval-endpoint';

/** Form posts are a few hundred bytes; refuse anything that could only be abuse. */
const MAX_BODY_BYTES = 64 * 1024;

export interface ApprovalServer {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
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

/**
 * Serve the approval endpoint (the same handler as the Lambda function URL) on 127.0.0.1 only:
 * the local demo must not expose approval pages to the network.
 */
export async function startApprovalServer(handle: (request: HttpRequest) => Promise<HttpResponse>, port = 0): Promise<ApprovalServer> {
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
    server.once('error', (e: NodeJS.ErrnoException) => reject(new ApprovalServerError(e.code === 'EADDRINUSE' ? `port ${port} is already in use on 127.0.0.1` : e.message)));
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The approval server's own answers (issue 14.8): every response, whether from the endpoint, the
 * server itself (413) or Node's HTTP parser (400, 501, 408), carries the same security headers as
 * the approval pages; a client cannot hold more than a few connections, nor a socket that never
 * finishes its headers. Raw sockets, since fetch cannot send a malformed request.
 */
import { connect, type Socket } from 'node:net';
import type { HttpRequest, HttpResponse } from '../../../handlers/approval-endpoint';
import { SECURITY_HEADERS } from '../../../handlers/approval-page/layout';
import { APPROVAL_SERVER_DEFAULTS, startApprovalServer, type ApprovalServer, type ApprovalServerOptions } from '../../../local/approval/server';

/** A stand-in for the endpoint: a page with the security headers, echoing what it was asked. */
async function endpoint(request: HttpRequest): Promise<HttpResponse> {
  return { status: 200, headers: { ...SECURITY_HEADERS }, body: `<p>${request.method} ${request.path} ${request.body.length}</p>` };
}

const servers: ApprovalServer[] = [];
async function serve(options: ApprovalServerOptions = {}, handle = endpoint): Promise<ApprovalServer> {
  const s = await startApprovalServer(handle, 0, undefined, options);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The server closed the connection. */
  readonly closed: boolean;
}

function parse(text: string, closed: boolean): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = (end === -1 ? text : text.slice(0, end)).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(head[0] ?? '')?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status, headers, body: end === -1 ? '' : text.slice(end + 4), closed };
}

function open(server: ApprovalServer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Send bytes on a fresh connection; the answer once the server closes it (or `waitMs` passes). */
async function raw(server: ApprovalServer, ...parts: Array<string | Buffer>): Promise<RawResponse> {
  const socket = await open(server);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const done = (): void => resolve(parse(Buffer.concat(chunks).toString('latin1'), closed));
    const timer = setTimeout(() => {
      socket.destroy();
      done();
    }, 5000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined); // EPIPE/ECONNRESET once the server stops reading a body it refused
    socket.on('close', () => {
      closed = true;
      clearTimeout(timer);
      done();
    });
    for (const p of parts) socket.write(p);
  });
}

function expectSecurityHeaders(r: RawResponse): void {
  const { 'content-type': _type, ...security } = SECURITY_HEADERS;
  expect(r.headers).toMatchObject(security);
  expect(r.headers['content-type']).toMatch(/^text\/(html|plain); charset=utf-8$/);
}

describe('every response carries the security headers', () => {
  it('a 70 KB POST gets 413, with the headers, and the connection closes', async () => {
    const server = await serve();
    const body = 'a'.repeat(70 * 1024);
    const r = await raw(server, `POST /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    expect(r.status).toBe(413);
    expectSecurityHeaders(r);
    expect(r.headers.connection).toBe('close');
    expect(r.body).toContain('Request too large');
    expect(r.closed).toBe(true);
  });

  it('so does a 70 KB chunked POST that never said its length', async () => {
    const server = await serve();
    const chunk = 'a'.repeat(10 * 1024);
    const chunks = Array.from({ length: 7 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const r = await raw(server, 'POST /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n', ...chunks, '0\r\n\r\n');
    expect(r.status).toBe(413);
    expectSecurityHeaders(r);
  });

  it('a body at the limit still reaches the endpoint', async () => {
    const server = await serve();
    const body = 'a'.repeat(APPROVAL_SERVER_DEFAULTS.maxBodyBytes);
    const r = await raw(server, `POST /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`, body);
    expect(r.status).toBe(200);
    expect(r.body).toContain(`<p>POST /approve ${body.length}</p>`);
  });

  it('an unknown method (BREW) gets 501 with the headers', async () => {
    const server = await serve();
    const r = await raw(server, 'BREW /approve HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(r.status).toBe(501);
    expectSecurityHeaders(r);
    expect(r.headers.connection).toBe('close');
    expect(r.closed).toBe(true);
  });

  it.each([
    ['a malformed request line', 'GET /approve HTTX/1.1\r\n\r\n'],
    ['a header line without a colon', 'GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nnot a header\r\n\r\n'],
    ['HTTP/1.1 without a Host', 'GET /approve HTTP/1.1\r\n\r\n'],
    ['two Content-Lengths', 'POST /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ])('%s gets 400 with the headers', async (_what, request) => {
    const server = await serve();
    const r = await raw(server, request);
    expect(r.status).toBe(400);
    expectSecurityHeaders(r);
    expect(r.closed).toBe(true);
  });

  it('headers too large get 431 with the headers', async () => {
    const server = await serve();
    const r = await raw(server, `GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20 * 1024)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expectSecurityHeaders(r);
  });

  it('an unmet Expect gets 417 with the headers', async () => {
    const server = await serve();
    const r = await raw(server, 'POST /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: tea\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(417);
    expectSecurityHeaders(r);
  });

  it('a failing endpoint gets 500 with the headers', async () => {
    const server = await serve({}, () => Promise.reject(new Error('boom')));
    const r = await raw(server, 'GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(500);
    expectSecurityHeaders(r);
    expect(r.body).not.toContain('boom');
  });

  it("the security headers hold even where a handler's response leaves them out", async () => {
    const server = await serve({}, () => Promise.resolve({ status: 503, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'max-age=3600' }, body: 'later\n' }));
    const r = await raw(server, 'GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(503);
    expectSecurityHeaders(r);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
  });
});

describe('what one client can hold', () => {
  it('closes the connections of one client beyond the cap; the rest still work, and closing frees room', async () => {
    const server = await serve();
    const cap = APPROVAL_SERVER_DEFAULTS.maxConnectionsPerClient;
    const sockets = await Promise.all(Array.from({ length: 100 }, () => open(server)));
    const closed = new Set<Socket>();
    await Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.on('error', () => undefined);
            s.on('close', () => {
              closed.add(s);
              resolve();
            });
            // The ones still open after a while are the ones kept.
            setTimeout(resolve, 1000);
          }),
      ),
    );
    expect(closed.size).toBe(100 - cap);
    const kept = sockets.filter((s) => !closed.has(s));
    // A kept connection still gets answers.
    const first = kept[0] as Socket;
    const answer = new Promise<string>((resolve) => first.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
    first.write('GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    // With room again, a new connection is served.
    for (const s of kept) s.destroy();
    await new Promise((r) => setTimeout(r, 100));
    expect((await raw(server, 'GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).status).toBe(200);
  });

  it('the cap is per client address: another loopback address has its own', async () => {
    const server = await serve({ maxConnectionsPerClient: 2 });
    const mine = await Promise.all([open(server), open(server)]);
    const other = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port: server.port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => resolve(s));
      s.once('error', reject);
    });
    const answer = new Promise<string>((resolve) => other.once('data', (c: Buffer) => resolve(c.toString('latin1'))));
    other.write('GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    for (const s of [...mine, other]) s.destroy();
  });

  it('closes a socket that never finishes its headers, after the headers timeout, with 408', async () => {
    const server = await serve({ headersTimeoutMs: 300 });
    const started = Date.now();
    const r = await raw(server, 'GET /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n');
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(r.status).toBe(408);
    expectSecurityHeaders(r);
  });

  it('closes a socket whose body trickles in past the request timeout, with 408, and the endpoint never sees it', async () => {
    let asked = 0;
    const server = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400 }, (request) => {
      asked++;
      return endpoint(request);
    });
    const socket = await open(server);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.write('POST /approve HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n');
    const started = Date.now();
    const drip = setInterval(() => socket.writable && socket.write('a'), 50);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(drip);
    expect(Date.now() - started).toBeLessThan(4000);
    const r = parse(Buffer.concat(chunks).toString('latin1'), true);
    expect(r.status).toBe(408);
    expectSecurityHeaders(r);
    expect(asked).toBe(0);
  });

  it('closes a socket that sends nothing at all, after the headers timeout', async () => {
    const server = await serve({ headersTimeoutMs: 300 });
    const started = Date.now();
    const r = await raw(server);
    expect(r.closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('has defaults that hold sockets for seconds, not minutes', () => {
    expect(APPROVAL_SERVER_DEFAULTS).toEqual({
      maxBodyBytes: 64 * 1024,
      maxConnectionsPerClient: 32,
      maxConnections: 1024,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
    });
  });
});
